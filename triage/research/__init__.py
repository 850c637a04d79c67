"""Research: de-identified datasets, quotes and the yearly report."""
