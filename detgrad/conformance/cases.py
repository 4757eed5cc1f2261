"""Conformance cases: inputs and what to check, without TensorFlow.

Each :class:`Case` names an input matrix (built with numpy, seeded), the
quantity to differentiate (``kind``) and its tolerance.  The references
come from :mod:`detgrad.conformance.reference` (mpmath, closed forms) or, for the
200 x 200 log-determinant, from numpy float64 LAPACK; never from detgrad.

Kinds:
    det        value det(A) and gradient of sum(c · det(A)) (cotangent c)
    abs2       gradient of sum |det A|² (complex)
    phase      gradient of sum Im(sign) from slogdet (complex)
    logdet     value log|det A| and its gradient
    hess_rr    Hessian-vector product H·V of det, reverse over reverse
    hess_fwd   H·V by forward over reverse (tf.autodiff.ForwardAccumulator)
    hess_ff    V:H:V = d²/dt² det(A + tV) at t = 0, two nested ForwardAccumulators (no tape)
    jvp        d/dt det(A + tV) at t = 0, one ForwardAccumulator (no tape)
    jac_hess   the full Hessian as ``outer.jacobian(inner.gradient(det), A)`` (pfor, TF's default)
    jac_hess_loop   the same with ``experimental_use_pfor=False`` (a while loop)
    bjac_grad  per-member gradients of a batch by ``tape.batch_jacobian`` (pfor)
    bjac_hess  per-member Hessians, ``outer.batch_jacobian(inner.gradient(det), A)`` (pfor)
    bjac_hess_loop  the same with ``experimental_use_pfor=False``
    vmap_grad  per-member gradients by ``tf.vectorized_map`` of a function that runs its own tape
    seed       dL/dx, dL/dy of L = det([[sin x, 0], [0, cos y]])²
    value_grad value and gradient of the case's target function (the ``pd_logdet`` cases)

Targets: a case differentiates ``det(A)`` (``target="det"``, every kind above but ``value_grad``) or,
with ``target="pd_logdet"`` (:data:`detgrad.catalog.PD_TARGET`), ``f(X) = detgrad.logdet(S(X))`` with
``S(X) = (X + X^H)/2``: the Cholesky methods read one triangle only, so the derivatives are taken through
this Hermitian parameterization, where every method (and TF's convention) agrees.  Those cases use the kinds
``value_grad``, ``hess_rr``, ``hess_fwd``, ``hess_ff``, ``jvp``, ``jac_hess(_loop)``, ``bjac_grad``,
``bjac_hess(_loop)`` and ``vmap_grad`` with f in place of det; their inputs X are exactly Hermitian, so
S(X) = X in floating point too.

Groups: ``singular`` (exactly singular input) and ``near-singular`` (singular up to rounding, or
condition number 1e12) are where only methods declared singular-safe must be right.
``positive-definite`` (``pd_logdet``, every method must be right) and ``not-positive-definite``
(a batch with members that are not: their log det must be NaN, or in eager mode a ``DetgradError``
naming them; a finite value is silently wrong).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from detgrad.catalog import PD_TARGET

TOLERANCE = {"float32": 1e-4, "float64": 1e-10, "complex64": 1e-4, "complex128": 1e-10}
EXACT_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Case:
    """One conformance case.  ``build()`` returns the input (numpy, ``dtype``)."""

    name: str
    group: str
    kind: str
    dtype: str
    build: Callable[[], np.ndarray] = field(repr=False)
    exact: bool = False
    tolerance: float | None = None
    cotangent: Callable[[], np.ndarray] | None = field(default=None, repr=False)
    point: tuple[float, float] = (0.0, 0.0)
    singular_input: bool = False
    target: str = "det"  # "det" or PD_TARGET ("pd_logdet": log det of the Hermitian part, see the module doc)

    @property
    def tol(self) -> float:
        if self.tolerance is not None:
            return self.tolerance
        return EXACT_TOLERANCE if self.exact else TOLERANCE[self.dtype]

    @property
    def singular(self) -> bool:
        """The input matrix is singular or nearly so (only singular-safe methods must be right)."""
        return self.group in ("singular", "near-singular") or self.singular_input


def running_product_out_of_range(n: int = 20, exponent: int = 14) -> np.ndarray:
    """``(n, n)`` float32 with det ±1 exactly whose pivots' running product leaves float32's range.

    A = P · D · (I + N): D = diag(2^e (n/2 times), 2^-e (n/2 times)), N strictly upper
    triangular with entries in {-1, 0, 1}, P a fixed row permutation.  Every entry is
    exact in float32; any pivot order multiplies n/2 factors 2^±e in a row at some point
    (2^140 overflows, 2^-140 is below the normal range).
    """
    rng = _rng(21)
    d = np.array([2.0**exponent] * (n // 2) + [2.0**-exponent] * (n - n // 2))
    unit_upper = np.eye(n) + np.triu(rng.integers(-1, 2, size=(n, n)), k=1)
    return (d[:, None] * unit_upper)[rng.permutation(n)].astype(np.float32)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def orthogonal(n: int, seed: int, complex_: bool = False) -> np.ndarray:
    """Haar-ish random orthogonal (unitary) n x n matrix from a QR."""
    rng = _rng(seed)
    z = rng.standard_normal((n, n))
    if complex_:
        z = z + 1j * rng.standard_normal((n, n))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))


def with_singular_values(values, seed: int, complex_: bool = False) -> np.ndarray:
    """U · diag(values) · V^H with random orthogonal (unitary) U, V."""
    n = len(values)
    u, v = orthogonal(n, seed, complex_), orthogonal(n, seed + 1, complex_)
    return (u * np.asarray(values)) @ v.conj().T


def well_conditioned(shape: tuple[int, ...], seed: int, complex_: bool = False) -> np.ndarray:
    """Random matrices I + N/(2√n): condition number about 3."""
    rng = _rng(seed)
    n = shape[-1]
    noise = rng.standard_normal(shape)
    if complex_:
        noise = noise + 1j * rng.standard_normal(shape)
    return np.eye(n) + noise / (2 * np.sqrt(n))


# Exactly singular integer matrices: the zero pivot of unpivoted elimination
# appears first (zero first column), in the middle (col 2 = col 0 + col 1),
# or last (last col = sum of the others).
SINGULAR_FIRST = np.array([[0, 1, 2, 3], [0, 4, 1, 2], [0, 2, 5, 1], [0, 3, 1, 4]], dtype=float)
SINGULAR_MIDDLE = np.array([[2, 1, 3, 1], [1, 3, 4, 2], [4, 1, 5, 3], [1, 2, 3, 5]], dtype=float)
SINGULAR_LAST = np.array([[2, 1, 1, 4], [1, 3, 2, 6], [1, 1, 4, 6], [3, 1, 2, 6]], dtype=float)
RANK_N_MINUS_2 = np.array([[1, 2, 3, 4], [2, 4, 6, 8], [1, 0, 1, 0], [3, 4, 7, 8]], dtype=float)


def _const(a, dtype: str) -> Callable[[], np.ndarray]:
    return lambda: np.asarray(a).astype(dtype)


def column_combination(n: int, seed: int, complex_: bool = False) -> np.ndarray:
    """Random ``(n, n)`` whose last column is col 0 + c·col 1 (c = 1+2i or 0.5): rank n-1 up to rounding."""
    rng = _rng(seed)
    a = rng.standard_normal((n, n))
    if complex_:
        a = a + 1j * rng.standard_normal((n, n))
    a[:, -1] = a[:, 0] + (1 + 2j if complex_ else 0.5) * a[:, 1]
    return a


def _near_singular_cases() -> list[Case]:
    """Singular up to rounding: det·A^{-1} is the cofactor matrix only from one factorization."""
    c = []
    for dtype, tol in (("complex64", 1e-4), ("complex128", 1e-10)):
        c.append(
            Case(
                f"{dtype} rank n-1 up to rounding (col 3 = col 0 + (1+2i)·col 1)",
                "near-singular",
                "det",
                dtype,
                lambda d=dtype: column_combination(4, 31, True).astype(d),
                tolerance=tol,
            )
        )
        c.append(
            Case(
                f"{dtype} rank n-1 by SVD 5x5",
                "near-singular",
                "det",
                dtype,
                lambda d=dtype: with_singular_values([1, 0.9, 0.8, 0.7, 0.0], 32, True).astype(d),
                tolerance=tol,
            )
        )
    zero_column = column_combination(4, 37, True)
    zero_column[:, 1] = 0  # exactly singular: det 0; the gradient is the complex cofactor column 1 (conj matters)
    c.append(
        Case("complex128 rank n-1, exact (a zero column)", "singular", "det", "complex128", _const(zero_column, "complex128"))
    )
    c.append(
        Case(
            "complex128 condition 1e12 4x4",
            "near-singular",
            "det",
            "complex128",
            lambda: with_singular_values([1, 1, 1, 1e-12], 33, True),
            tolerance=1e-8,
        )
    )
    c.append(
        Case(
            "complex64 condition 1e6 4x4",
            "near-singular",
            "det",
            "complex64",
            lambda: with_singular_values([1, 1, 1, 1e-6], 34, True).astype("complex64"),
            tolerance=1e-3,
        )
    )
    c.append(
        Case(
            "float64 rank n-1 by SVD 20x20 (Eigen's blocked LU)",
            "near-singular",
            "det",
            "float64",
            lambda: with_singular_values(list(np.linspace(1, 0.1, 19)) + [0.0], 35),
        )
    )
    c.append(Case("float64 rank n-1 up to rounding 20x20", "near-singular", "det", "float64", lambda: column_combination(20, 36)))
    return c


def _differentiation_api_cases() -> list[Case]:
    """Every way TF users differentiate: jacobian/batch_jacobian (pfor and loop), vectorized_map, forward mode."""
    f64 = "float64"
    c = []
    single = (
        ("random 4x4", "hessian", lambda: well_conditioned((4, 4), 41)),
        ("rank n-1 4x4", "singular", _const(SINGULAR_MIDDLE, f64)),
        ("random 6x6", "hessian", lambda: well_conditioned((6, 6), 42)),
        ("rank n-1 6x6 by SVD", "near-singular", lambda: with_singular_values([1, 0.9, 0.8, 0.7, 0.6, 0.0], 43)),
        ("rank n-1 3x3", "singular", _const([[1, 2, 3], [2, 1, 3], [1, 1, 2]], f64)),
    )
    labels = {
        "jac_hess": "jacobian Hessian (pfor)",
        "jac_hess_loop": "jacobian Hessian (no pfor)",
        "jvp": "ForwardAccumulator JVP",
    }
    for kind, label in labels.items():
        for name, group, build in single:
            c.append(Case(f"{label}, {name}", group, kind, f64, build))
    batches = (
        (
            "batch (3,4,4) with a rank n-1 member",
            "singular",
            lambda: np.stack([well_conditioned((4, 4), 44), SINGULAR_MIDDLE, well_conditioned((4, 4), 45)]),
        ),
        ("batch (2,6,6)", "hessian", lambda: well_conditioned((2, 6, 6), 46)),
    )
    labels = {
        "bjac_grad": "batch_jacobian gradient (pfor)",
        "bjac_hess": "batch_jacobian Hessian (pfor)",
        "bjac_hess_loop": "batch_jacobian Hessian (no pfor)",
        "vmap_grad": "vectorized_map gradient",
    }
    for kind, label in labels.items():
        for name, group, build in batches:
            c.append(Case(f"{label}, {name}", group, kind, f64, build))
    return c


def hermitian_pd(eigenvalues, seed: int, complex_: bool = False) -> np.ndarray:
    """``Q diag(eigenvalues) Q^H`` (Q random orthogonal / unitary), made exactly Hermitian; float64 / complex128.

    Exactly Hermitian entries make ``(X + X^H)/2 == X`` in floating point, also after a cast to float32 /
    complex64, so the reference and the probe see the same matrix.
    """
    q = orthogonal(len(eigenvalues), seed, complex_)
    m = (q * np.asarray(eigenvalues, dtype=float)) @ q.conj().T
    return (m + m.conj().T) / 2


def pd_batch(batch: tuple[int, ...], n: int, seed: int) -> np.ndarray:
    """``batch + (n, n)`` float64 positive-definite matrices, each with its own eigenvalues in [0.5, 2] and Q."""
    members = [hermitian_pd(_spread(n, seed + 2 * b), seed + 2 * b + 1) for b in range(int(np.prod(batch)))]
    return np.stack(members).reshape(batch + (n, n))


def _spread(n: int, seed: int) -> np.ndarray:
    """n eigenvalues in [0.5, 2] (condition number <= 4)."""
    return _rng(seed).uniform(0.5, 2.0, n)


def not_positive_definite_batch() -> np.ndarray:
    """``(4, 4, 4)`` float64: [PD, det < 0 (one negative eigenvalue), det > 0 but two negative eigenvalues, PD].

    Member 2 has det > 0: a method that checks only the sign of det (the general LU methods) gives it a
    finite, meaningless log det.
    """
    return np.stack(
        [
            hermitian_pd(_spread(4, 81), 82),
            hermitian_pd([2.0, -1.0, 1.5, 1.0], 84),
            hermitian_pd([-1.0, -0.5, 1.0, 2.0], 86),
            hermitian_pd(_spread(4, 87), 88),
        ]
    )


def _pd_logdet_cases() -> list[Case]:
    """log det of Hermitian positive-definite matrices (``detgrad.logdet``): values, gradients, every autodiff API."""
    f64, f32, pd = "float64", "float32", "positive-definite"
    c = []

    def add(name, kind, dtype, build, group=pd, **kw):
        c.append(Case(f"logdet PD: {name}", group, kind, dtype, build, target=PD_TARGET, **kw))

    add("f64 5x5", "value_grad", f64, lambda: hermitian_pd(_spread(5, 51), 52))
    add("f32 4x4", "value_grad", f32, lambda: hermitian_pd(_spread(4, 53), 54).astype(f32))
    add("batch (2,3,4,4)", "value_grad", f64, lambda: pd_batch((2, 3), 4, 55))
    # Condition number 1e12 (eigenvalues 1, 1e-3, ..., 1e-12).  A backward-stable Cholesky (or LU) factors A + E
    # with |E| ~ n·eps·|A|, so the gradient A^{-1}, whose relative condition number is cond(A), comes out with a
    # relative error up to about cond·n·eps = 1e12 · 5 · 1.1e-16 ≈ 6e-4 (about 1e-4 typically); 1e-3 admits that
    # and no more (an error that grows like cond², or a lost factor, is far beyond).  The value's absolute error
    # is about tr(A^{-1} E) ≤ n·eps·cond ≈ 6e-4 on |log det| ≈ 69: relative 1e-5, also within 1e-3.
    add(
        "f64 5x5 condition 1e12",
        "value_grad",
        f64,
        lambda: hermitian_pd(np.geomspace(1.0, 1e-12, 5), 57),
        tolerance=1e-3,
    )
    add("complex128 4x4", "value_grad", "complex128", lambda: hermitian_pd(_spread(4, 58), 59, True))
    add("complex64 3x3", "value_grad", "complex64", lambda: hermitian_pd(_spread(3, 60), 61, True).astype("complex64"))
    add(
        "batch [PD, det<0, det>0 not PD, PD]",
        "value_grad",
        f64,
        not_positive_definite_batch,
        group="not-positive-definite",
    )
    single = lambda: hermitian_pd(_spread(4, 71), 72)  # noqa: E731
    batch = lambda: pd_batch((2,), 4, 73)  # noqa: E731
    for kind, label in (
        ("hess_rr", "Hessian reverse-over-reverse"),
        ("hess_fwd", "Hessian forward-over-reverse"),
        ("hess_ff", "Hessian forward-over-forward"),
        ("jvp", "ForwardAccumulator JVP"),
        ("jac_hess", "jacobian Hessian (pfor)"),
        ("jac_hess_loop", "jacobian Hessian (no pfor)"),
    ):
        add(f"{label}, 4x4", kind, f64, single)
    for kind, label in (
        ("bjac_grad", "batch_jacobian gradient (pfor)"),
        ("bjac_hess", "batch_jacobian Hessian (pfor)"),
        ("bjac_hess_loop", "batch_jacobian Hessian (no pfor)"),
        ("vmap_grad", "vectorized_map gradient"),
    ):
        add(f"{label}, batch (2,4,4)", kind, f64, batch)
    return c


def _cases() -> list[Case]:
    f64, f32 = "float64", "float32"
    c = []
    add = c.append
    add(Case("well-conditioned f32 4x4", "regular", "det", f32, lambda: well_conditioned((4, 4), 1).astype(f32)))
    add(Case("well-conditioned f64 5x5", "regular", "det", f64, lambda: well_conditioned((5, 5), 2)))
    add(Case("batch dims (2,3,4,4)", "regular", "det", f64, lambda: well_conditioned((2, 3, 4, 4), 3)))
    add(Case("empty batch (0,3,3)", "regular", "det", f64, lambda: np.zeros((0, 3, 3)), exact=True))
    add(Case("0x0 (det 1)", "regular", "det", f64, lambda: np.zeros((0, 0)), exact=True))
    add(Case("1x1 [[2.5]]", "regular", "det", f64, _const([[2.5]], f64), exact=True))
    add(Case("1x1 [[0.]] (grad 1)", "singular", "det", f64, _const([[0.0]], f64), exact=True))
    add(
        Case(
            "cotangent (2,-0.5,3) f64",
            "regular",
            "det",
            f64,
            lambda: well_conditioned((3, 4, 4), 4),
            cotangent=lambda: np.array([2.0, -0.5, 3.0]),
        )
    )
    for label, m in (("first", SINGULAR_FIRST), ("middle", SINGULAR_MIDDLE), ("last", SINGULAR_LAST)):
        add(Case(f"rank n-1, zero pivot {label}", "singular", "det", f64, _const(m, f64), exact=True))
        add(Case(f"rank n-1, zero pivot {label}, transposed", "singular", "det", f64, _const(m.T, f64), exact=True))
    add(
        Case(
            "numerically singular (SVD, rank n-1)",
            "singular",
            "det",
            f64,
            lambda: with_singular_values([1, 0.9, 0.8, 0.7, 0.0], 5),
        )
    )
    add(Case("rank n-2 (grad 0)", "singular", "det", f64, _const(RANK_N_MINUS_2, f64), exact=True))
    add(Case("all-zero 3x3", "singular", "det", f64, lambda: np.zeros((3, 3)), exact=True))
    add(Case("[[1,2],[2,4]] (grad [[4,-2],[-2,1]])", "singular", "det", f64, _const([[1, 2], [2, 4]], f64), exact=True))
    add(
        Case("condition 1e12 f64", "regular", "det", f64, lambda: with_singular_values([1, 1, 1, 1, 1, 1e-12], 6), tolerance=1e-8)
    )
    add(
        Case(
            "mixed batch regular+singular",
            "singular",
            "det",
            f64,
            lambda: np.stack([well_conditioned((4, 4), 7), SINGULAR_FIRST, RANK_N_MINUS_2, np.zeros((4, 4)), SINGULAR_LAST.T]),
        )
    )
    for dtype, n in (("complex64", 3), ("complex128", 4)):
        add(Case(f"{dtype} |det|^2", "complex", "abs2", dtype, lambda n=n, d=dtype: well_conditioned((n, n), 8, True).astype(d)))
        add(
            Case(
                f"{dtype} Im(slogdet sign)",
                "complex",
                "phase",
                dtype,
                lambda n=n, d=dtype: well_conditioned((n, n), 9, True).astype(d),
            )
        )
    add(
        Case(
            "complex128 cotangent",
            "complex",
            "det",
            "complex128",
            lambda: well_conditioned((2, 3, 3), 10, True),
            cotangent=lambda: np.array([1.5 - 2j, -0.5 + 0.25j]),
        )
    )
    hessian_inputs = (
        ("random 3x3", lambda: well_conditioned((3, 3), 11)),
        ("random 4x4", lambda: well_conditioned((4, 4), 12)),
        ("rank n-1", _const(SINGULAR_MIDDLE, f64)),
        ("repeated singular values", lambda: with_singular_values([2, 2, 1, 1], 13)),
    )
    hessian_kinds = (
        ("hess_rr", "reverse-over-reverse"),
        ("hess_fwd", "forward-over-reverse"),
        ("hess_ff", "forward-over-forward"),
    )
    for kind, label in hessian_kinds:
        for name, build in hessian_inputs:
            group = "singular" if name == "rank n-1" else "hessian"
            add(Case(f"Hessian {label}, {name}", group, kind, f64, build))
    add(Case("Hessian forward-over-forward, rank n-2", "singular", "hess_ff", f64, _const(RANK_N_MINUS_2, f64)))
    add(
        Case(
            "Hessian forward-over-forward, complex128 3x3",
            "complex",
            "hess_ff",
            "complex128",
            lambda: well_conditioned((3, 3), 15, True),
        )
    )
    add(
        Case(
            "float32 n=200 slogdet (det overflows)",
            "overflow",
            "logdet",
            f32,
            lambda: (2.0 * well_conditioned((200, 200), 14)).astype(f32),
        )
    )
    add(Case("float32 det whose pivot product leaves the range", "overflow", "det", f32, running_product_out_of_range))
    c.extend(_near_singular_cases())
    c.extend(_differentiation_api_cases())
    add(Case("seed model at (0.7, 0.3)", "seed", "seed", f64, lambda: np.zeros((2, 2)), point=(0.7, 0.3)))
    add(Case("seed model at x = 0", "seed", "seed", f64, lambda: np.zeros((2, 2)), point=(0.0, 0.3), singular_input=True))
    c.extend(_pd_logdet_cases())
    return c


CASES: tuple[Case, ...] = tuple(_cases())


def forward_tangent(n: int) -> np.ndarray:
    """The fixed direction V of the Hessian-vector product cases."""
    return _rng(99).standard_normal((n, n))
