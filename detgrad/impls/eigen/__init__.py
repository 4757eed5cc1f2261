"""Methods on TensorFlow's Eigen kernels (``MatrixDeterminant``, ``Lu``, ``MatrixInverse``, ``LogMatrixDeterminant``).

Fast in eager mode and in a graph on CPU; none compiles under XLA on TF 2.21 (no XLA kernels for
these ops), so ``auto`` never sends XLA code here.

* :mod:`.guarded`: Eigen det, gradient from the inverse of that same LU; singular matrices guarded
  off to ``lu``'s adjugate (singular-safe; ``auto``'s eager and graph path);
* :mod:`.det_lu_inverse`: A^{-1} from the LU ``tf.linalg.det`` computes, split over two cores;
* :mod:`.eigenlu`: one ``tf.linalg.lu`` for value and gradient;
* :mod:`.inverse`, :mod:`.logdomain`: Jacobi's formula through ``inv``, and the slogdet route;
* :mod:`.builtin`: ``tf.linalg.det`` / ``slogdet`` with TF's registered gradient (the baseline).
"""
