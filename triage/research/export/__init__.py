"""Research exports: their options, their files (CSV, SPSS), k-anonymity, and the jobs."""
