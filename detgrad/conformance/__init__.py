"""Conformance: is each method's value and gradient right, in every mode, on the cases where TF's own is wrong?

Owns the cases (``cases``: singular, ill-conditioned, complex, Hessian, ...
matrices with their expected answers), the references they are checked
against (``reference``: exact rationals and mpmath), the probes that run one
method on one case in eager, graph or XLA mode (``probes``), the runner that
builds the method x mode x case matrix of verdicts (``runner``) and its text
and Markdown rendering (``render``).  It uses only the library (``detgrad.api``,
``detgrad.impls``); ``detgrad check`` wires it to the command line.
"""
