"""The yearly report: figures over a counted year, small-cell control, the page and its CSV tables.

``figures`` counts every table, ``tables`` is their shape, ``small_cells`` decides what
may be published, ``texts`` holds the wording, ``files`` and ``charts`` draw the page,
``jobs`` and ``web`` run reports for the HTTP API and the command line.
"""
