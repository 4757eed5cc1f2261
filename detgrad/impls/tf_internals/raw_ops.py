"""TensorFlow's generated op wrappers and tape hooks that ``guarded`` calls in eager mode, by name.

``tf.linalg.det`` and friends spend most of an eager call in Python dispatch (type checks, name
scopes, the dispatch registry); the generated wrappers in ``tensorflow.python.ops.gen_*_ops`` go
straight to the kernel.  In eager mode ``guarded`` runs its forward and backward pass on these and
registers its own gradient with ``record_operation`` (the hook ``tf.custom_gradient`` itself uses),
which saves 20-30 µs per op.  All are private TF APIs, re-exported here under their own names so
that no other module imports ``tensorflow.python``; ``tests/test_mode.py`` pins them.

    matrix_determinant(x), log_matrix_determinant(x)   TF's Eigen det / slogdet kernels
    lu(x, output_idx_type), matrix_inverse(x, adjoint)  Eigen partial-pivoting LU and inverse
    matrix_triangular_solve(m, rhs, lower, adjoint)    triangular solve
    transpose, conjugate_transpose, reshape, gather_v2, matrix_set_diag_v3, mul, conj, real
    stop_recording(), record_operation(name, outputs, inputs, backward)   the tape hooks
    NOINLINE        ``experimental_attributes`` that keep TF's inliner from inlining a tf.function
"""

from __future__ import annotations

from tensorflow.python.eager import record
from tensorflow.python.ops import gen_array_ops, gen_linalg_ops, gen_math_ops

matrix_determinant = gen_linalg_ops.matrix_determinant
log_matrix_determinant = gen_linalg_ops.log_matrix_determinant
lu = gen_linalg_ops.lu
matrix_inverse = gen_linalg_ops.matrix_inverse
matrix_triangular_solve = gen_linalg_ops.matrix_triangular_solve

transpose = gen_array_ops.transpose
conjugate_transpose = gen_array_ops.conjugate_transpose
reshape = gen_array_ops.reshape
gather_v2 = gen_array_ops.gather_v2
matrix_set_diag_v3 = gen_array_ops.matrix_set_diag_v3

mul = gen_math_ops.mul
conj = gen_math_ops.conj
real = gen_math_ops.real

stop_recording = record.stop_recording
record_operation = record.record_operation

# The function attribute TF's own inliner reads (grappler's function optimizer and the eager
# function runtime): a tf.function carrying it stays one call node instead of being inlined.
NOINLINE = {"_noinline": True}
