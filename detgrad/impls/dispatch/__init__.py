"""Choosing a method per call: the only package that imports the method families.

* :mod:`.auto`: the default method; picks by n, batch and execution mode from a table of measured
  crossovers;
* :mod:`.nested_xla`: value and gradient as one nested XLA kernel inside a plain graph.

Import contract (``pyproject.toml``): no method family imports this package.
"""
