"""The counted year: coded conversations read, merged into unique visitors, and their rows.

``loader`` reads the year from the database, ``pipeline`` applies the counting rules
(conversations → duplicates linked → excluded → unique visitors), ``rows`` turns the
merged visitors into de-identified research rows, and ``synthetic`` makes demo years.
"""
