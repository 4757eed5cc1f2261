"""Publishing: run files -> tidy pandas tables -> Markdown/CSV/terminal tables, charts and a Markdown report.

Owns aggregation (``aggregate``: merge runs, speedups, GFLOP/s, % of peak,
recommendations), tables (``tables``), charts (``charts/``, one module per
chart kind), the report (``report``), run-to-run and device comparison with
a significance test (``compare``) and the performance targets per size
regime (``targets``).  It reads what :mod:`detgrad.runs` loaded, never measures and
never imports TensorFlow (an import-linter contract checks it).
"""
