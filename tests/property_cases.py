"""Inputs, an independent reference and error bounds for the property-based tests (``test_properties.py``).

Nothing here imports detgrad or TensorFlow.  An :class:`Input` is a handful of small fields that
:func:`build` turns into a numpy batch deterministically, so a failing example shrinks to
something readable and can be kept as an ``@example``.

The reference works on the rounded input itself (exact in mpmath) at :data:`DIGITS` digits:
det by elimination of A; the cofactor matrix ``adj(A)^T`` from one Gauss-Jordan elimination of
``A + t·I`` (its det times its inverse) with ``t = 2^-SHIFT_BITS · max|A|``.  The cofactor is a polynomial, so the shift
changes it by ``O(t)``, far below any float tolerance, and keeps the elimination away from a zero
pivot at every rank (rank n-1 gives the rank-one adjugate, rank <= n-2 gives ~0).

Error bounds (one place; ``C = SLACK``, ``u`` the dtype's machine epsilon, singular values
``s_1 >= ... >= s_n`` of the input, each floored at ``n·u·s_1``): a backward-stable method
computes det and adj of ``A + E`` with ``|E| <~ n·u·s_1``, so

    det        |err| <= C·n·u·s_1·(s_1···s_{n-1})
    adj(A)^T   |err| <= C·n·u·s_1·(s_1···s_{n-2})        (entry-wise; first-order change of adj)
    A^{-T}     |err| <= C·n·u·s_1 / s_n²                  (entry-wise)

Relative to the answer these are ``C·n·u·cond``, as usual.  For n <= 3, where the polynomials
(``closed``, ``tiny``, and the default in some modes) expand det explicitly, the bounds are at least
``C·u·per(|A|)`` (the permanent of the entries' magnitudes: the sum of |terms| of the expansion)
and ``C·u·per(|minor|)``.  A method that is not singular-safe
(det·A^{-T} from two factorizations) is allowed an extra ``s_{n-1}/s_n`` on the gradient.  A
log-domain det (``sign·exp(log|det|)``) is allowed ``C·u·|det|·(1 + |log|det||)`` more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np

DTYPES = ("float32", "float64", "complex64", "complex128")
REAL_OF = {"float32": "float32", "float64": "float64", "complex64": "float32", "complex128": "float64"}
KINDS = ("random", "svd", "pivot", "zero_line")
# Exact scalings by powers of two (so exactly singular inputs stay exactly singular): about
# 1e±100 for float64, 1e±15 and 1e±4 for float32 (1e±100 is not a float32).
SCALES = {"float64": (0, 332, -332, 33, -33), "float32": (0, 50, -50, 13, -13)}
DIGITS = 110
SHIFT_BITS = 160
SLACK = 32.0


@dataclass(frozen=True)
class Input:
    """A batch of ``n x n`` matrices, described so that it shrinks and reads well.

    kind:        ``random`` (standard normal), ``svd`` (U·diag(s)·V^H, the last ``deficiency``
                 singular values 0: singular up to rounding), ``pivot`` (exact integer L·U whose U
                 has ``deficiency`` zero pivots from ``position`` on, cyclically: exactly singular),
                 ``zero_line`` (standard normal with ``deficiency`` zero rows from ``position``).
    transpose:   transpose every member (a zero column k is an exact zero pivot at step k of
                 partial-pivoting elimination; a zero row is one at the last step).
    mixed:       every other member (the 2nd, 4th, ...) is a plain ``random`` one.
    scale:       the batch is multiplied by ``2**scale`` (exact).
    """

    dtype: str
    n: int
    batch: tuple[int, ...] = ()
    kind: str = "random"
    deficiency: int = 0
    position: int = 0
    scale: int = 0
    transpose: bool = False
    mixed: bool = False
    seed: int = 0

    @property
    def members(self) -> int:
        return math.prod(self.batch)

    @property
    def singular(self) -> bool:
        """Designed to be singular (exactly, or up to rounding)."""
        return self.kind != "random" and self.deficiency > 0 and self.n > 0


def _complex(rng: np.random.Generator, shape, is_complex: bool, ints: int = 0) -> np.ndarray:
    """Standard normal entries, or integers in [-ints, ints] when ``ints``; complex when asked."""
    draw = (lambda s: rng.integers(-ints, ints + 1, size=s).astype(float)) if ints else rng.standard_normal
    out = draw(shape)
    return out + 1j * draw(shape) if is_complex else out


def _orthogonal(rng: np.random.Generator, n: int, is_complex: bool) -> np.ndarray:
    q, r = np.linalg.qr(_complex(rng, (n, n), is_complex))
    return q * (np.diag(r) / np.abs(np.diag(r)))


def _member(inp: Input, rng: np.random.Generator, kind: str) -> np.ndarray:
    n, is_complex = inp.n, inp.dtype.startswith("complex")
    zero_at = [(inp.position + k) % n for k in range(inp.deficiency)] if n else []
    if kind == "random":
        return _complex(rng, (n, n), is_complex)
    if kind == "svd":
        values = 10.0 ** rng.uniform(-1.5, 1.0, size=n)
        values[n - inp.deficiency :] = 0.0
        return (_orthogonal(rng, n, is_complex) * values) @ _orthogonal(rng, n, is_complex).conj().T
    if kind == "pivot":
        # multipliers in {-1, 0, 1} (unpivoted elimination is exact and meets the zero pivots at
        # ``position``...), pivots ±1 elsewhere
        lower = np.tril(_complex(rng, (n, n), is_complex, ints=1), -1) + np.eye(n)
        upper = np.triu(_complex(rng, (n, n), is_complex, ints=2), 1)
        pivots = rng.choice([-1.0, 1.0], size=n)
        pivots[zero_at] = 0.0
        return lower @ (upper + np.diag(pivots))
    m = _complex(rng, (n, n), is_complex)
    m[zero_at, :] = 0.0
    return m


def build(inp: Input) -> np.ndarray:
    """The input batch, shape ``batch + (n, n)``, dtype ``inp.dtype``."""
    rng = np.random.default_rng(inp.seed)
    n = inp.n
    members = [_member(inp, rng, "random" if inp.mixed and b % 2 else inp.kind) for b in range(inp.members)]
    flat = np.array(members).reshape(inp.members, n, n)
    if inp.transpose:
        flat = np.swapaxes(flat, -1, -2)
    a = flat.reshape(inp.batch + (n, n)).astype(inp.dtype)
    return a * np.asarray(2.0**inp.scale, dtype=REAL_OF[inp.dtype])


def _mp(x) -> mpmath.mpc | mpmath.mpf:
    return mpmath.mpc(complex(x)) if np.iscomplexobj(x) else mpmath.mpf(float(x))


def _gauss_jordan(m: list[list], invert: bool = True) -> tuple:
    """(det, inverse or None) of a list-of-lists mp matrix by Gauss-Jordan with partial pivoting.

    An exactly zero pivot column gives det 0 (and no inverse).
    """
    n = len(m)
    rows = [list(r) + ([mpmath.mpf(int(i == j)) for j in range(n)] if invert else []) for i, r in enumerate(m)]
    det = mpmath.mpf(1)
    for k in range(n):
        p = max(range(k, n), key=lambda r: abs(rows[r][k]))
        if rows[p][k] == 0:
            return mpmath.mpf(0), None
        if p != k:
            rows[k], rows[p] = rows[p], rows[k]
            det = -det
        pivot = rows[k][k]
        det *= pivot
        rows[k] = [x / pivot for x in rows[k]]
        for r in range(n) if invert else range(k + 1, n):
            if r != k and rows[r][k] != 0:
                f = rows[r][k]
                rows[r] = [x - f * y for x, y in zip(rows[r], rows[k], strict=True)]
    return det, [row[n:] for row in rows] if invert else None


@dataclass(frozen=True)
class Reference:
    """Reference values of one matrix (mp numbers) and its singular values (float64)."""

    det: object
    cofactor: list  # adj(A)^T, n x n
    inverse_t: list | None  # A^{-T} when the shift is negligible against s_n, else None
    sigma: np.ndarray  # singular values, descending, not floored
    permanents: tuple = ()  # n <= 3: (per(|A|), max over (i, j) of per(|minor_ij|)), mp numbers

    def log_singular(self, u: float) -> list:
        """log of the singular values, floored at n·u·s_1 (mp numbers, no overflow)."""
        n = len(self.sigma)
        top = mpmath.mpf(float(self.sigma[0])) if n else mpmath.mpf(0)
        floor = n * u * top
        return [mpmath.log(max(mpmath.mpf(float(s)), floor)) if top else mpmath.mpf("-inf") for s in self.sigma]


def _cofactor_and_inverse(entries: list[list]) -> tuple[list, list]:
    """(adj(A)^T, inverse of A + t·I) of an mp matrix, from one elimination of A + t·I."""
    n = len(entries)
    top = max(abs(x) for row in entries for x in row)
    if not top:  # the zero matrix: adj is 0, or [[1]] for n = 1
        return [[mpmath.mpf(int(n == 1))] * n for _ in range(n)], None
    shift = mpmath.ldexp(top, -SHIFT_BITS)
    shifted = [[x + (shift if i == j else 0) for j, x in enumerate(row)] for i, row in enumerate(entries)]
    shifted_det, inverse = _gauss_jordan(shifted)
    return [[shifted_det * inverse[j][i] for j in range(n)] for i in range(n)], inverse


def reference(m: np.ndarray) -> Reference:
    """The :class:`Reference` of one ``(n, n)`` matrix (taken exactly as given)."""
    n = m.shape[-1]
    wide = m.astype(np.complex128 if np.iscomplexobj(m) else np.float64)
    sigma = np.linalg.svd(wide, compute_uv=False) if n else np.zeros(0)
    if n == 0:
        return Reference(mpmath.mpf(1), [], [], sigma)
    with mpmath.workdps(DIGITS):
        entries = [[_mp(x) for x in row] for row in wide]
        det, _ = _gauss_jordan(entries, invert=False)
        cofactor, inverse = _cofactor_and_inverse(entries)
        permanents = (
            (_permanent(entries), max(_permanent(_minor(entries, i, j)) for i in range(n) for j in range(n))) if n <= 3 else ()
        )
        usable = inverse is not None and sigma[-1] > 2.0**-60 * sigma[0]
        inverse_t = [[inverse[j][i] for j in range(n)] for i in range(n)] if usable else None
        return Reference(+det, cofactor, inverse_t, sigma, permanents)


def directional_cofactor(m: np.ndarray, v: np.ndarray) -> list:
    """d/dt adj(A + tV)^T at t = 0 (the Hessian of det applied to V), n x n mp numbers.

    A central difference with step h = 2^-60·max|A|: adj is a polynomial, so the error is
    O(h²) relative, and the shift inside :func:`_cofactor_and_inverse` (2^-160) adds O(2^-100).
    """
    n = m.shape[-1]
    with mpmath.workdps(DIGITS):
        entries = [[_mp(x) for x in row] for row in m]
        step = [[_mp(x) for x in row] for row in v]
        h = mpmath.ldexp(max([abs(x) for row in entries for x in row] + [mpmath.mpf(1)]), -60)
        plus = _cofactor_and_inverse(
            [[x + h * y for x, y in zip(r, s, strict=True)] for r, s in zip(entries, step, strict=True)]
        )[0]
        minus = _cofactor_and_inverse(
            [[x - h * y for x, y in zip(r, s, strict=True)] for r, s in zip(entries, step, strict=True)]
        )[0]
        return [[(plus[i][j] - minus[i][j]) / (2 * h) for j in range(n)] for i in range(n)]


def hessian_bound(ref: Reference, dtype: str, v_max: float, singular_safe: bool) -> object:
    """Entry-wise bound for the Hessian-vector product ``d/dt adj(A + tV)^T``.

    Its entries are sums of products of n - 2 entries of A times one of V; a backward error
    ``|E| <~ n·u·s_1`` moves them by about ``n²·u·s_1·(s_1···s_{n-3})·max|V|`` (n >= 3; ``u·|V|``
    at n = 2 and ``u·|V|/s_1`` at n = 1, keeping the units of A^{n-2}·V).  Methods that are not
    singular-safe get ``(s_1/s_n)²`` more (their second derivative goes through A^{-1} twice).
    """
    u = float(np.finfo(REAL_OF[dtype]).eps)
    n = len(ref.sigma)
    logs = ref.log_singular(u)
    scale = {1: -logs[0], 2: 0}.get(n, logs[0] + sum(logs[: max(n - 3, 0)]))
    # max(n, 2)^3: at n = 1 the Hessian is 0 as a difference of two terms of size |V|/s_1, each with a few roundings
    bound = SLACK * max(n, 2) ** 3 * u * v_max * mpmath.exp(scale)
    if not singular_safe:
        bound *= mpmath.exp(2 * (logs[0] - logs[n - 1]))
    # the reference's own error: its difference step h = 2^-60·max(|A|, 1) shifted by 2^-160·h, so
    # terms of size h^(n-2)·|V| remain where A^(n-2)·V is 0 (A = 0, n >= 3)
    step = mpmath.ldexp(max(mpmath.mpf(float(ref.sigma[0])) if n else 0, mpmath.mpf(1)), -60)
    return bound + SLACK * u * v_max * step ** max(n - 2, 0)


def _minor(m: list[list], i: int, j: int) -> list[list]:
    return [[x for c, x in enumerate(row) if c != j] for r, row in enumerate(m) if r != i]


def _permanent(m: list[list]):
    """per(|M|): the sum of |products| in det's expansion (what rounding an explicit polynomial scales with)."""
    if not m:
        return mpmath.mpf(1)
    return sum(abs(x) * _permanent(_minor(m, 0, j)) for j, x in enumerate(m[0]))


def bounds(ref: Reference, dtype: str, singular_safe: bool) -> dict[str, object]:
    """Absolute error bounds (mp numbers) for det, the cofactor entries and A^{-T} entries."""
    u = float(np.finfo(REAL_OF[dtype]).eps)
    n = len(ref.sigma)
    if n == 0:
        return {"det": mpmath.mpf(SLACK * u), "cofactor": mpmath.mpf(SLACK * u), "inverse_t": mpmath.mpf(SLACK * u)}
    logs = ref.log_singular(u)
    c = SLACK * n * u
    det = c * mpmath.exp(logs[0] + sum(logs[: n - 1]))
    if n == 1:
        cof = mpmath.mpf(SLACK * u)
    else:
        cof = c * mpmath.exp(logs[0] + sum(logs[: n - 2]))
        if not singular_safe:
            cof *= mpmath.exp(logs[n - 2] - logs[n - 1])
    inverse_t = c * mpmath.exp(logs[0] - 2 * logs[n - 1])
    if ref.permanents:  # n <= 3: an explicit polynomial is accurate to u·per(|A|), not backward stable
        det = max(det, SLACK * u * ref.permanents[0])
        cof = max(cof, SLACK * u * ref.permanents[1])
    return {"det": det, "cofactor": cof, "inverse_t": inverse_t}


def log_domain_extra(ref: Reference, dtype: str) -> object:
    """``C·u·(1 + |log|det||)``: the relative error a det computed as sign·exp(log|det|) may add."""
    u = float(np.finfo(REAL_OF[dtype]).eps)
    if ref.det == 0:
        return mpmath.mpf(0)
    return SLACK * u * (1 + abs(mpmath.log(abs(ref.det))))


def condition(ref: Reference) -> float:
    """s_1 / s_n (inf when s_n is 0)."""
    if len(ref.sigma) == 0:
        return 1.0
    return float(ref.sigma[0] / ref.sigma[-1]) if ref.sigma[-1] > 0 else math.inf
