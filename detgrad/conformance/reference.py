"""Independent references: exact rationals, mpmath at 50 digits, closed forms.

Nothing here uses TensorFlow or detgrad's methods.  Matrices come in as
numpy arrays.  Real entries convert exactly to ``fractions.Fraction``, so
real references are exact (an exactly singular matrix gets an exactly zero
det and, at rank <= n-2, an exactly zero gradient); complex entries convert
exactly to mpmath numbers and are computed at 50 digits.

    det(A)            mpmath.det
    C = adj(A)^T      cofactors C_ij = (-1)^(i+j) · det(A without row i, col j)
    A^{-T}            C / det(A)
    d²det/dA_ij dA_kl = C(A + E_kl)_ij - C(A)_ij   (C is affine in each entry)
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np

DIGITS = 50


def _mp_matrix(a: np.ndarray) -> list[list]:
    a = np.asarray(a)
    if np.iscomplexobj(a):
        return [[mpmath.mpc(complex(x)) for x in row] for row in a]
    return [[Fraction(float(x)) for x in row] for row in a]


def _det_mp(m: list[list]):
    """Gaussian elimination with partial pivoting (Fraction: exact; mpmath: 50 digits)."""
    n = len(m)
    rows = [list(row) for row in m]
    result = Fraction(1)
    for k in range(n):
        pivot = max(range(k, n), key=lambda r: abs(rows[r][k]))
        if rows[pivot][k] == 0:
            return Fraction(0)
        if pivot != k:
            rows[k], rows[pivot] = rows[pivot], rows[k]
            result = -result
        result *= rows[k][k]
        for r in range(k + 1, n):
            factor = rows[r][k] / rows[k][k]
            if factor != 0:
                rows[r] = [x - factor * y for x, y in zip(rows[r], rows[k], strict=True)]
    return result


def _cofactors_mp(m: list[list]) -> list[list]:
    n = len(m)
    if n == 1:
        return [[Fraction(1)]]
    out = []
    for i in range(n):
        row = []
        for j in range(n):
            minor = [[m[r][c] for c in range(n) if c != j] for r in range(n) if r != i]
            row.append((-1) ** (i + j) * _det_mp(minor))
        out.append(row)
    return out


def det(a: np.ndarray) -> np.ndarray:
    """det of ``(..., N, N)`` at 50 digits, rounded to float64/complex128, shape ``(...)``."""
    a = np.asarray(a)
    flat = a.reshape((int(np.prod(a.shape[:-2])),) + a.shape[-2:])
    with mpmath.workdps(DIGITS):
        values = [complex(_det_mp(_mp_matrix(m))) for m in flat]
    out = np.array(values, dtype=np.complex128).reshape(a.shape[:-2])
    return out if np.iscomplexobj(a) else out.real.copy()


def cofactor(a: np.ndarray) -> np.ndarray:
    """adj(A)^T (= d det/dA, holomorphic) of ``(..., N, N)``, same shape."""
    a = np.asarray(a)
    n = a.shape[-1]
    flat = a.reshape((int(np.prod(a.shape[:-2])), n, n))
    out = np.zeros(flat.shape, dtype=np.complex128)
    with mpmath.workdps(DIGITS):
        for b, m in enumerate(flat):
            if n:
                out[b] = np.array([[complex(x) for x in row] for row in _cofactors_mp(_mp_matrix(m))])
    out = out.reshape(a.shape)
    return out if np.iscomplexobj(a) else out.real.copy()


def inverse_transpose(a: np.ndarray) -> np.ndarray:
    """A^{-T} (= d log det/dA, holomorphic) of ``(..., N, N)`` via cofactors / det."""
    d = det(a)
    return cofactor(a) / np.asarray(d)[..., None, None]


def hessian(a: np.ndarray) -> np.ndarray:
    """d²det/dA_ij dA_kl of one ``(N, N)`` matrix, shape ``(N, N, N, N)``, exact.

    Every cofactor is affine in each single entry, so a unit step is exact.
    """
    a = np.asarray(a)
    n = a.shape[-1]
    base = cofactor(a)
    hess = np.zeros((n, n, n, n), dtype=base.dtype)
    for k in range(n):
        for m in range(n):
            step = np.zeros_like(a)
            step[k, m] = 1
            hess[:, :, k, m] = cofactor(a + step) - base
    return hess


def seed_model_gradient(x: float, y: float) -> tuple[float, float]:
    """L = det([[sin x, 0], [0, cos y]])² = sin²x·cos²y; returns (dL/dx, dL/dy)."""
    s, c = np.sin(x), np.cos(y)
    return 2 * s * np.cos(x) * c**2, -2 * s**2 * c * np.sin(y)


# --- log det of a Hermitian positive-definite matrix (target "pd_logdet") -------------------------------------
#
# The probes differentiate f(X) = log det A with A = S(X) = (X + X^H)/2 (the Cholesky methods read only one
# triangle, so only this parameterization makes every method and convention agree).  With A^{-1} = Ainv:
#
#     f                     log det A                                  (NaN: A not positive definite)
#     gradient (TF)         A^{-1}      (real, and complex with TF's convention: dL/dRe X + i dL/dIm X)
#     HVP along V           -A^{-1} S(V) A^{-1}         (reverse over reverse = forward over reverse)
#     Hessian (real)        d grad_ij / dX_kl = -(Ainv_ik Ainv_lj + Ainv_il Ainv_kj) / 2
#     JVP along V           tr(A^{-1} S(V))
#     V:H:V                 -tr(A^{-1} S(V) A^{-1} S(V))
#
# tests/test_conformance_pd.py checks each against central finite differences of numpy's slogdet.


def hermitian_part(x: np.ndarray) -> np.ndarray:
    """S(X) = (X + X^H)/2 of ``(..., N, N)`` (numpy, the input's precision)."""
    x = np.asarray(x)
    return (x + np.conj(np.swapaxes(x, -1, -2))) / 2


def _mp_hermitian_part(x: np.ndarray):
    """S(X) as an mpmath matrix at :data:`DIGITS` (exact for the float entries: one add and a halving)."""
    n = x.shape[-1]
    convert = mpmath.mpc if np.iscomplexobj(x) else mpmath.mpf
    m = [[convert(complex(v)) if np.iscomplexobj(x) else convert(float(v)) for v in row] for row in x]
    return mpmath.matrix([[(m[i][j] + mpmath.conj(m[j][i])) / 2 for j in range(n)] for i in range(n)])


def pd_logdet_and_inverse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log det S(X) (...), S(X)^{-1} (..., N, N))`` at 50 digits; both NaN for a member that is not positive definite.

    Positive definiteness is decided by mpmath's Cholesky at 50 digits (it raises on a non-positive pivot).
    """
    x = np.asarray(x)
    n = x.shape[-1]
    flat = x.reshape((int(np.prod(x.shape[:-2])), n, n))
    values = np.full(len(flat), np.nan)
    inverses = np.full(flat.shape, np.nan, dtype=np.complex128)
    with mpmath.workdps(DIGITS):
        for b, m in enumerate(flat):
            a = _mp_hermitian_part(m)
            if n == 0:
                values[b] = 0.0
                continue
            try:
                factor = mpmath.cholesky(a)
            except (ValueError, ZeroDivisionError):
                continue  # not positive definite
            diagonal = [mpmath.re(factor[i, i]) for i in range(n)]
            if min(diagonal) <= 0:
                continue
            values[b] = float(2 * mpmath.fsum(mpmath.log(d) for d in diagonal))
            inverse = mpmath.inverse(a)
            inverses[b] = np.array([[complex(inverse[i, j]) for j in range(n)] for i in range(n)])
    inverses = inverses.reshape(x.shape)
    return values.reshape(x.shape[:-2]), inverses if np.iscomplexobj(x) else inverses.real.copy()


def pd_logdet_hvp(inverse: np.ndarray, v: np.ndarray) -> np.ndarray:
    """H·V of f(X) = log det S(X): ``-A^{-1} S(V) A^{-1}`` (batched)."""
    return -inverse @ hermitian_part(v) @ inverse


def pd_logdet_hessian(inverse: np.ndarray) -> np.ndarray:
    """Real ``(N, N)`` A^{-1} -> Hessian ``H[i, j, k, l] = d grad_ij / dX_kl``, shape ``(N, N, N, N)``."""
    return -0.5 * (np.einsum("ik,lj->ijkl", inverse, inverse) + np.einsum("il,kj->ijkl", inverse, inverse))


def pd_logdet_jvp(inverse: np.ndarray, v: np.ndarray) -> np.ndarray:
    """d/dt log det S(X + tV) at t = 0: ``tr(A^{-1} S(V))`` (batched, real part)."""
    return np.real(np.einsum("...ij,...ji->...", inverse, hermitian_part(v)))


def pd_logdet_vhv(inverse: np.ndarray, v: np.ndarray) -> np.ndarray:
    """d²/dt² log det S(X + tV) at t = 0: ``-tr(A^{-1} S(V) A^{-1} S(V))`` (batched, real part)."""
    m = inverse @ hermitian_part(v)
    return -np.real(np.einsum("...ij,...ji->...", m, m))
