"""Every fact about detgrad's methods that is not code, in one place that never imports TensorFlow.

The registry (:mod:`detgrad.impls.registry`) pairs each entry here with its implementation; the
run header (``sweep/methods_info.py``), the README's method table, the report's tables and the
charts (``publish/methods.py``) all read these entries, directly or through the registry.  Adding
a method means one entry here and one line in the registry (``detgrad/impls/__init__.py`` has the
checklist); a test fails when the two disagree.

:data:`CATALOG` is in display order (legends, table columns): singular-safe methods first with the
default second, TF's builtin last.  Colours come from the Okabe-Ito and Paul Tol colour-blind-safe
palettes; no two methods share a colour.

Flop counts are for value + gradient of one real n x n matrix: an LU is 2/3·n³, a solve or an
inverse from its factors with a full right-hand side 2·n³.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

DEFAULT_METHOD = "auto"
MODES: tuple[str, ...] = ("eager", "graph", "xla")
Mode = Literal["eager", "graph", "xla"]
REAL_DTYPES = ("float32", "float64")
COMPLEX_DTYPES = ("complex64", "complex128")
ALL_DTYPES = REAL_DTYPES + COMPLEX_DTYPES
POLYNOMIAL_MAX_N = 3
NO_XLA_DET = "TF 2.21 has no XLA kernel for MatrixDeterminant / LogMatrixDeterminant"
# What a method computes: det and slogdet of any square matrix, log det of a Hermitian positive-definite one
# (``detgrad.logdet``; every general method does it through its slogdet).
GENERAL_TARGETS = ("det", "logdet")
PD_TARGET = "pd_logdet"
TARGETS: tuple[str, ...] = GENERAL_TARGETS + (PD_TARGET,)


@dataclass(frozen=True)
class MethodFacts:
    """What is known about one method without running it.

    Attributes:
        name: the registry key users pass as ``method=``.
        family: the ``detgrad.impls`` subpackage that implements it (``eigen``, ``tf_lu``, ``poly``, ``dispatch``).
        summary: one line for tables and docs.
        singular_safe: the gradient is right at exactly singular input.
        xla: usable inside ``tf.function(jit_compile=True)``; ``xla_reason`` says why not.
        flops: value + gradient flop count for one real n x n matrix.
        color, marker: how charts draw it (hex colour, matplotlib marker).
        dtypes: dtype names it accepts.
        max_n: largest supported n (``None``: no limit).
        shares_factorization: the backward pass reuses the forward pass's factors.
        targets: what it computes (:data:`TARGETS`): ``det``/``logdet`` (log|det|) of any square matrix,
            ``pd_logdet`` (log det of a Hermitian positive-definite one, ``detgrad.logdet``).
    """

    name: str
    family: str
    summary: str
    singular_safe: bool
    xla: bool
    flops: Callable[[int], float]
    color: str
    marker: str
    xla_reason: str = ""
    dtypes: tuple[str, ...] = ALL_DTYPES
    max_n: int | None = None
    shares_factorization: bool = False
    targets: tuple[str, ...] = TARGETS


def lu_and_solves_flops(n: int) -> float:
    """One LU (2/3·n³) and A^{-1} or two full solves from it (2·n³)."""
    return 2.0 / 3.0 * n**3 + 2.0 * n**3


def closed_flops(n: int) -> float:
    """Multiplications and additions of the n <= 3 expansion plus its gradient (NaN beyond)."""
    return {0: 0.0, 1: 1.0, 2: 3.0 + 4.0, 3: 17.0 + 30.0}.get(n, float("nan"))


def tiny_flops(n: int) -> float:
    """As :func:`closed_flops`, with the 2x2 minors shared between value and gradient."""
    return {0: 0.0, 1: 1.0, 2: 3.0 + 4.0, 3: 14.0 + 28.0}.get(n, float("nan"))


def cholesky_and_inverse_flops(n: int) -> float:
    """One Cholesky (n³/3) and A^{-1} from it (2·n³ with a full right-hand side)."""
    return n**3 / 3.0 + 2.0 * n**3


def auto_flops(n: int) -> float:
    """The default's eager/graph path: tiny's count for n <= 3, guarded's beyond."""
    return tiny_flops(n) if n <= POLYNOMIAL_MAX_N else lu_and_solves_flops(n)


CATALOG: dict[str, MethodFacts] = {
    f.name: f
    for f in (
        MethodFacts(
            name="lu",
            family="tf_lu",
            summary="complete-pivoting LU in XLA-compilable TF ops, shared by value and gradient; adjugate from the factors",
            singular_safe=True,
            xla=True,
            flops=lambda n: 2.0 * n**3,
            shares_factorization=True,
            color="#0072B2",  # blue
            marker="o",
        ),
        MethodFacts(
            name="auto",
            family="dispatch",
            summary=(
                "by n, batch and mode, the fastest method right everywhere: the tiny/closed polynomials (n <= 3), "
                "guarded (eager/graph), blocklu (XLA; in a graph also as a nested XLA kernel for one matrix at "
                "n = 512 and for batches at n = 4-8); for logdet of positive-definite matrices: cholesky "
                "(eager/graph), blockchol (XLA)"
            ),
            singular_safe=True,
            xla=True,
            flops=auto_flops,
            shares_factorization=True,
            color="#332288",  # indigo
            marker="*",
        ),
        MethodFacts(
            name="guarded",
            family="eigen",
            summary="Eigen det; gradient from the inverse of that same LU (Lu + triangular solves, inv where it "
            "shares the pivots); singular matrices guarded off to lu's adjugate",
            singular_safe=True,
            xla=False,
            xla_reason=NO_XLA_DET,
            flops=lu_and_solves_flops,
            color="#DDCC77",  # sand
            marker="p",
        ),
        MethodFacts(
            name="blocklu",
            family="tf_lu",
            summary="blocked partial-pivoting LU (matmul trailing updates) for XLA speed; adjugate from the factors, "
            "complete-pivoting fallback on an early zero pivot",
            singular_safe=True,
            xla=True,
            flops=lambda n: 8.0 / 3.0 * n**3,
            shares_factorization=True,
            color="#117733",  # green
            marker="d",
        ),
        MethodFacts(
            name="eigenlu",
            family="eigen",
            summary="one Eigen partial-pivoting LU (tf.linalg.lu) for value and gradient; A^{-T} by lu_solve, no second LU",
            singular_safe=False,
            xla=False,
            xla_reason="TF 2.21 has no XLA kernel for Lu on CPU",
            flops=lu_and_solves_flops,
            shares_factorization=True,
            color="#44AA99",  # teal
            marker="X",
        ),
        MethodFacts(
            name="slogdet",
            family="eigen",
            summary="log domain: tf.linalg.slogdet, gradient w·A^{-H} by a solve; det = sign·exp(logabsdet)",
            singular_safe=False,
            xla=False,
            xla_reason=NO_XLA_DET,
            flops=lu_and_solves_flops,
            color="#D55E00",  # vermillion
            marker="s",
        ),
        MethodFacts(
            name="inverse",
            family="eigen",
            summary="Jacobi's formula g·conj(det A)·A^{-H} through tf.linalg.inv",
            singular_safe=False,
            xla=False,
            xla_reason=NO_XLA_DET,
            flops=lu_and_solves_flops,
            color="#009E73",  # bluish green
            marker="^",
        ),
        MethodFacts(
            name="closed",
            family="poly",
            summary="explicit polynomial for n <= 3; exact derivatives of every order at any rank",
            singular_safe=True,
            xla=True,
            flops=closed_flops,
            max_n=POLYNOMIAL_MAX_N,
            shares_factorization=True,
            color="#CC79A7",  # reddish purple
            marker="D",
        ),
        MethodFacts(
            name="tiny",
            family="poly",
            summary="n <= 3 polynomials on a flat (B, n*n) layout: one unstack, shared 2x2 minors, one stacked gradient",
            singular_safe=True,
            xla=True,
            flops=tiny_flops,
            max_n=POLYNOMIAL_MAX_N,
            shares_factorization=True,
            color="#882255",  # wine
            marker="P",
        ),
        MethodFacts(
            name="cholesky",
            family="chol",
            summary="positive-definite log det only: one TF Cholesky shared by value and gradient, A^{-1} from the factor",
            singular_safe=False,
            xla=True,
            flops=cholesky_and_inverse_flops,
            shares_factorization=True,
            targets=(PD_TARGET,),
            color="#88CCEE",  # cyan
            marker="h",
        ),
        MethodFacts(
            name="blockchol",
            family="chol",
            summary="positive-definite log det only: recursive matmul-based Cholesky and its inverse in TF ops, for XLA speed",
            singular_safe=False,
            xla=True,
            flops=lambda n: n**3,
            shares_factorization=True,
            targets=(PD_TARGET,),
            color="#CC6677",  # rose
            marker="<",
        ),
        MethodFacts(
            name="builtin_logdet",
            family="chol",
            summary="positive-definite log det only: tf.linalg.logdet with TF's registered gradient, unchanged "
            "(the second baseline)",
            singular_safe=False,
            xla=True,
            flops=cholesky_and_inverse_flops,
            targets=(PD_TARGET,),
            color="#999933",  # olive
            marker=">",
        ),
        MethodFacts(
            name="builtin",
            family="eigen",
            summary="tf.linalg.det / slogdet with TF's registered gradient, unchanged (the baseline)",
            singular_safe=False,
            xla=False,
            xla_reason=NO_XLA_DET,
            flops=lu_and_solves_flops,
            color="#000000",  # black: the baseline
            marker="v",
        ),
    )
}
