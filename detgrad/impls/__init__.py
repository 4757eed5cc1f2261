"""Determinant methods, by family.  Each method is a module with ``det(a)`` and ``slogdet(a)`` for
``(..., n, n)`` input, registered in :mod:`.registry` as a :class:`~.base.Method`.

Families (subpackages; each docstring says what its members share):

* :mod:`.eigen`: TF's Eigen kernels: ``guarded`` (with the two-core inverse), ``eigenlu``,
  ``inverse``, ``slogdet`` (:mod:`.eigen.logdomain`) and ``builtin``; no XLA;
* :mod:`.tf_lu`: LU factorizations in plain TF ops and ``lu``, ``blocklu`` on them; XLA-compilable;
* :mod:`.poly`: the n <= 3 polynomials ``closed`` and ``tiny``;
* :mod:`.chol`: Cholesky, log det of positive-definite matrices only (``detgrad.logdet``): ``cholesky``,
  ``blockchol`` (XLA) and ``builtin_logdet``;
* :mod:`.dispatch`: ``auto`` (the default) and the nested XLA kernel; the only importer of the families;
* :mod:`.tf_internals`: the private TF APIs (execution mode, raw ops, tape hooks), pinned by tests.

Shared modules here: :mod:`.base` (the ``Method`` record, input checks, batch plumbing),
:mod:`.live` (custom-gradient plumbing: second order by recomputation, log-domain cotangents),
:mod:`.registry` (the registry ``detgrad.METHODS`` reads).

Adding a method:

1. a module in the family it belongs to (a new family gets a subpackage with a docstring), with
   ``det`` and ``slogdet`` whose docstrings state the math, shapes and cost;
2. its facts in ``detgrad/catalog.py`` (family, summary, dtypes, ``singular_safe``, ``xla`` or
   ``xla_reason``, ``flops``, ``max_n``, chart colour and marker; its place there is its display
   order) and its module in :data:`.registry.IMPLEMENTATIONS` (a test checks the two name the same
   methods);
3. ``detgrad check --methods NAME``: every conformance case in every mode, against the independent
   references; a case the method cannot do raises ``UnsupportedError`` naming it;
4. ``python -m detgrad.cli.methods_table README.md`` regenerates the README's method table; the
   next published run times it.
"""
