"""Research: the yearly counting pipeline, de-identified datasets and their export."""
