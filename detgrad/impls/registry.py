"""The registry of determinant methods: one place that tables and docs read."""

from __future__ import annotations

from detgrad.errors import DetgradError
from detgrad.impls.base import ALL_DTYPES, Method
from detgrad.impls.dispatch import auto
from detgrad.impls.eigen import builtin, eigenlu, guarded, inverse, logdomain
from detgrad.impls.poly import closed, tiny
from detgrad.impls.tf_lu import blocklu, lu

NO_XLA_DET = "TF 2.21 has no XLA kernel for MatrixDeterminant / LogMatrixDeterminant"

_REGISTRY: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            name="lu",
            summary="complete-pivoting LU in XLA-compilable TF ops, shared by value and gradient; adjugate from the factors",
            det=lu.det,
            slogdet=lu.slogdet,
            dtypes=ALL_DTYPES,
            singular_safe=True,
            xla=True,
            flops=lambda n: 2.0 * n**3,
            shares_factorization=True,
        ),
        Method(
            name="closed",
            summary="explicit polynomial for n <= 3; exact derivatives of every order at any rank",
            det=closed.det,
            slogdet=closed.slogdet,
            dtypes=ALL_DTYPES,
            singular_safe=True,
            xla=True,
            flops=closed.flops,
            max_n=closed.MAX_N,
            shares_factorization=True,
        ),
        Method(
            name="tiny",
            summary="n <= 3 polynomials on a flat (B, n*n) layout: one unstack, shared 2x2 minors, one stacked gradient",
            det=tiny.det,
            slogdet=tiny.slogdet,
            dtypes=ALL_DTYPES,
            singular_safe=True,
            xla=True,
            flops=tiny.flops,
            max_n=tiny.MAX_N,
            shares_factorization=True,
        ),
        Method(
            name="eigenlu",
            summary="one Eigen partial-pivoting LU (tf.linalg.lu) for value and gradient; A^{-T} by lu_solve, no second LU",
            det=eigenlu.det,
            slogdet=eigenlu.slogdet,
            dtypes=ALL_DTYPES,
            singular_safe=False,
            xla=False,
            xla_reason="TF 2.21 has no XLA kernel for Lu on CPU",
            flops=lambda n: 2.0 / 3.0 * n**3 + 2.0 * n**3,
            shares_factorization=True,
        ),
        Method(
            name="guarded",
            summary="Eigen det; gradient from the inverse of that same LU (Lu + triangular solves, inv where it "
            "shares the pivots); singular matrices guarded off to lu's adjugate",
            det=guarded.det,
            slogdet=guarded.slogdet,
            dtypes=ALL_DTYPES,
            singular_safe=True,
            xla=False,
            xla_reason=NO_XLA_DET,
            flops=lambda n: 2.0 / 3.0 * n**3 + 2.0 * n**3,
        ),
        Method(
            name="auto",
            summary=(
                "by n, batch and mode, the fastest method right everywhere: the tiny/closed polynomials (n <= 3), "
                "guarded (eager/graph), blocklu (XLA; in a graph also as a nested XLA kernel for one matrix from "
                "n = 512 and for batches at n = 4-8)"
            ),
            det=auto.det,
            slogdet=auto.slogdet,
            dtypes=ALL_DTYPES,
            singular_safe=True,
            xla=True,
            flops=auto.flops,
            shares_factorization=True,
        ),
        Method(
            name="blocklu",
            summary="blocked partial-pivoting LU (matmul trailing updates) for XLA speed; adjugate from the factors, "
            "complete-pivoting fallback on an early zero pivot",
            det=blocklu.det,
            slogdet=blocklu.slogdet,
            dtypes=ALL_DTYPES,
            singular_safe=True,
            xla=True,
            flops=blocklu.flops,
            shares_factorization=True,
        ),
        Method(
            name="inverse",
            summary="Jacobi's formula g·conj(det A)·A^{-H} through tf.linalg.inv",
            det=inverse.det,
            slogdet=inverse.slogdet,
            dtypes=ALL_DTYPES,
            singular_safe=False,
            xla=False,
            xla_reason=NO_XLA_DET,
            flops=lambda n: 2.0 / 3.0 * n**3 + 2.0 * n**3,
        ),
        Method(
            name="slogdet",
            summary="log domain: tf.linalg.slogdet, gradient w·A^{-H} by a solve; det = sign·exp(logabsdet)",
            det=logdomain.det,
            slogdet=logdomain.slogdet,
            dtypes=ALL_DTYPES,
            singular_safe=False,
            xla=False,
            xla_reason=NO_XLA_DET,
            flops=lambda n: 2.0 / 3.0 * n**3 + 2.0 * n**3,
        ),
        Method(
            name="builtin",
            summary="tf.linalg.det / slogdet with TF's registered gradient, unchanged (the baseline)",
            det=builtin.det,
            slogdet=builtin.slogdet,
            dtypes=ALL_DTYPES,
            singular_safe=False,
            xla=False,
            xla_reason=NO_XLA_DET,
            flops=lambda n: 2.0 / 3.0 * n**3 + 2.0 * n**3,
        ),
    )
}

METHODS: tuple[str, ...] = tuple(_REGISTRY)
DEFAULT_METHOD = "auto"


def get_method(name: str | None) -> Method:
    """Look up a method by name (``None`` is the default method)."""
    if name is None:
        name = DEFAULT_METHOD
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise DetgradError(f"unknown method {name!r}; valid methods: {', '.join(METHODS)}") from None
