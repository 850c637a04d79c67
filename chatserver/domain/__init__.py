"""Pure chat rules: no I/O, no frameworks, no clocks of their own (callers pass ``now``)."""
