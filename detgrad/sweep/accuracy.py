"""Accuracy of one cell against an independent numpy float64/complex128 reference.

For a sample ``A`` of shape ``(s, n, n)`` (the first matrices of the batch,
upcast exactly to float64/complex128) the reference is

    target "det":    value det(A),          gradient of L = Re(sum det A):  conj(det(A) · A^{-T})
    target "logdet": value log|det A|,      gradient of L = sum log|det A|: conj(A^{-T})
    target "pd_logdet": the same for a Hermitian positive-definite A (log det A, A^{-1})

(TF's convention: the gradient of a real loss is dL/dRe + i dL/dIm, the
conjugate of the holomorphic derivative; for real input conj is a no-op.)

Errors are ``max|x - ref| / max|ref|`` over the sample, except the log-det
value where the denominator is ``max(1, max|ref|)`` (an absolute error in
log|det| is the relative error of |det|, and the inputs have |det| near 1).

Tolerance: ``max(base, 10 · eps · n · cond)`` with base 1e-3 for single and
1e-8 for double precision, eps the unit roundoff of the dtype and cond the
largest 2-norm condition number in the sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BASE_TOL = {"float32": 1e-3, "complex64": 1e-3, "float64": 1e-8, "complex128": 1e-8}
EPS = {"float32": 2.0**-24, "complex64": 2.0**-24, "float64": 2.0**-53, "complex128": 2.0**-53}


@dataclass(frozen=True)
class Accuracy:
    """Outcome of the check: status is ``ok``, ``wrong`` or ``nonfinite``."""

    status: str
    value_rel_err: float | None
    grad_rel_err: float | None
    tolerance: float
    reason: str | None = None


def upcast(a: np.ndarray) -> np.ndarray:
    """Exact widening to float64 / complex128."""
    return a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)


def reference(a: np.ndarray, target: str) -> tuple[np.ndarray, np.ndarray]:
    """``(value (s,), grad (s, n, n))`` in float64/complex128 for the sample ``a (s, n, n)``."""
    a = upcast(a)
    inv_t = np.swapaxes(np.linalg.inv(a), -1, -2)
    if target == "det":
        d = np.linalg.det(a)
        return d, np.conj(d[:, None, None] * inv_t)
    if target in ("logdet", "pd_logdet"):
        _, logabs = np.linalg.slogdet(a)
        return logabs, np.conj(inv_t)
    raise ValueError(f"unknown target {target!r}")


def rel_err(x: np.ndarray, ref: np.ndarray, floor: float = 0.0) -> float:
    """``max|x - ref| / max(floor, max|ref|)`` (inf if the denominator is 0 and x != ref)."""
    diff = float(np.max(np.abs(upcast(np.asarray(x)) - ref))) if ref.size else 0.0
    scale = max(floor, float(np.max(np.abs(ref))) if ref.size else 0.0)
    if scale == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / scale


def tolerance(dtype: str, n: int, cond: float) -> float:
    """Allowed relative error for a dtype, size and condition number."""
    return max(BASE_TOL[dtype], 10.0 * EPS[dtype] * n * cond)


def check(a: np.ndarray, value: np.ndarray, grad: np.ndarray, target: str, dtype: str) -> Accuracy:
    """Compare TF outputs on the sample (``value (s,)``, ``grad (s, n, n)``) with the reference.

    ``a`` is the ``(s, n, n)`` input sample exactly as TF saw it.
    """
    ref_v, ref_g = reference(a, target)
    n = a.shape[-1]
    cond = float(np.max(np.linalg.cond(upcast(a)))) if a.size else 1.0
    tol = tolerance(dtype, n, cond if np.isfinite(cond) else 1e300)
    value, grad = np.asarray(value), np.asarray(grad)
    ref_finite = bool(np.all(np.isfinite(ref_v)) and np.all(np.isfinite(ref_g)))
    if ref_finite and not (np.all(np.isfinite(value)) and np.all(np.isfinite(grad))):
        which = "value" if not np.all(np.isfinite(value)) else "gradient"
        return Accuracy("nonfinite", None, None, tol, f"non-finite {which} where the float64 reference is finite")
    v_err = rel_err(value, ref_v, floor=0.0 if target == "det" else 1.0)
    g_err = rel_err(grad, ref_g)
    bad = [f"{name} rel err {err:.2e}" for name, err in (("value", v_err), ("gradient", g_err)) if not err <= tol]
    if bad:
        return Accuracy("wrong", v_err, g_err, tol, f"{', '.join(bad)} > tolerance {tol:.1e}")
    return Accuracy("ok", v_err, g_err, tol)
