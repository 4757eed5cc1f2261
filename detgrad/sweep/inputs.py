"""Seeded random input matrices with a controlled condition number (numpy only).

``make_matrices(batch, n, dtype, cond, seed)`` returns a ``(batch, n, n)``
array.  With ``cond`` given, each matrix is

    A = U · diag(s) · V^H,   s_i = cond^(1/2 - i/(n-1)),  i = 0..n-1,

with U, V Haar-random orthogonal (unitary for complex dtypes), so the
2-norm condition number is exactly ``cond`` (up to rounding) and
|det A| = prod(s) = 1: neither det nor its gradient over- or underflows at
any n.  With ``cond=None`` the entries are standard normal (real and
imaginary parts each N(0, 1/2) for complex), each matrix rescaled so that
|det A| = 1 as well; its condition number is whatever it comes out as.
Matrices are built in float64/complex128 and then cast to ``dtype``.

``positive_definite=True`` (the ``pd_logdet`` target) gives Hermitian positive-definite matrices
with det A = 1 as well: ``A = U · diag(s) · U^H`` with the same s when ``cond`` is given, else
``A = c · (M M^H / n + I)`` with M Gaussian and c scaling det A to 1 (condition number a few units).
"""

from __future__ import annotations

import numpy as np

COMPLEX = {"complex64", "complex128"}


def _gaussian(rng: np.random.Generator, shape: tuple[int, ...], complex_: bool) -> np.ndarray:
    if complex_:
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)
    return rng.standard_normal(shape)


def random_orthogonal(rng: np.random.Generator, batch: int, n: int, complex_: bool = False) -> np.ndarray:
    """``(batch, n, n)`` Haar-random orthogonal/unitary matrices (QR with phase fix)."""
    q, r = np.linalg.qr(_gaussian(rng, (batch, n, n), complex_))
    d = np.diagonal(r, axis1=-2, axis2=-1)
    phase = np.where(d == 0, 1.0, d / np.where(d == 0, 1.0, np.abs(d)))
    return q * phase[..., None, :]


def singular_values(n: int, cond: float) -> np.ndarray:
    """``(n,)`` geometric singular values from cond^(1/2) down to cond^(-1/2); product 1."""
    if n == 1:
        return np.ones(1)
    return cond ** (0.5 - np.arange(n) / (n - 1))


def make_matrices(
    batch: int, n: int, dtype: str, cond: float | None = None, seed: int = 0, positive_definite: bool = False
) -> np.ndarray:
    """A seeded ``(batch, n, n)`` array of ``dtype`` with |det| = 1 (see module docstring)."""
    rng = np.random.default_rng(seed)
    complex_ = dtype in COMPLEX
    if positive_definite:
        return np.ascontiguousarray(_positive_definite(rng, batch, n, complex_, cond).astype(dtype))
    if cond is None:
        a = _gaussian(rng, (batch, n, n), complex_)
        _, logabs = np.linalg.slogdet(a)
        a = a * np.exp(-logabs / n)[:, None, None]
    else:
        u = random_orthogonal(rng, batch, n, complex_)
        v = random_orthogonal(rng, batch, n, complex_)
        s = singular_values(n, float(cond))
        a = (u * s[None, None, :]) @ np.conj(np.swapaxes(v, -1, -2))
    return np.ascontiguousarray(a.astype(dtype))


def _positive_definite(rng: np.random.Generator, batch: int, n: int, complex_: bool, cond: float | None) -> np.ndarray:
    """``(batch, n, n)`` Hermitian positive-definite matrices with det 1, exactly Hermitian in float64."""
    if cond is None:
        m = _gaussian(rng, (batch, n, n), complex_)
        a = m @ np.conj(np.swapaxes(m, -1, -2)) / max(n, 1) + np.eye(n)
        _, logdet = np.linalg.slogdet(a)
        a = a * np.exp(-logdet / max(n, 1))[:, None, None]
    else:
        u = random_orthogonal(rng, batch, n, complex_)
        a = (u * singular_values(n, float(cond))[None, None, :]) @ np.conj(np.swapaxes(u, -1, -2))
    return (a + np.conj(np.swapaxes(a, -1, -2))) / 2.0


def buffer_seeds(seed: int, key: str, count: int) -> list[int]:
    """``count`` input seeds for one cell, stable across runs and processes."""
    import zlib

    base = zlib.crc32(key.encode()) ^ (seed * 0x9E3779B1 & 0xFFFFFFFF)
    return [(base + 7919 * i) & 0xFFFFFFFF for i in range(count)]


def estimated_bytes(cell, buffers: int) -> int:
    """Rough memory need of a cell: ``buffers`` inputs plus about 6 working copies of (batch, n, n)."""
    return cell.batch * cell.n * cell.n * np.dtype(cell.dtype).itemsize * (buffers + 6)
