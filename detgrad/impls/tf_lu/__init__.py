"""LU factorizations written in plain TF ops (XLA-compilable), and the methods on them.

* :mod:`.lu_factor`: complete-pivoting LU, and the helpers on factors (pivot products, unpermute);
* :mod:`.blocklu_factor`: blocked partial-pivoting LU with ``tf.matmul`` trailing updates;
* :mod:`.triangular`: triangular solves by block substitution in matmuls (fast under XLA on CPU);
* :mod:`.lu`, :mod:`.blocklu`: the singular-safe methods: one factorization shared by value and
  gradient, the adjugate from the factors.

Nothing here imports the Eigen family or the dispatch; ``guarded`` borrows ``lu``'s adjugate for
singular input.
"""
