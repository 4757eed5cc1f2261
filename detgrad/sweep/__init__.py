"""Measurement: a sweep spec -> cells -> one record per cell, timed and checked for accuracy in the same run.

Owns the spec and its packaged presets (``spec``), the inputs of a cell
(``inputs``), the timer (``timing``), one-cell measurement (``measure``:
accuracy check, first-call time, samples) with its float64 reference
(``accuracy``), the worker subprocess (``worker``), the sweep loop that runs
cells through workers and appends records to a run file (``loop``), the
progress display (``progress``), the environment and its ceilings
(``environment``) and the peer libraries timed beside detgrad (``peers``).
It writes run files through :mod:`detgrad.runs` and never renders.
"""
