"""Run the conformance cases: method x mode x case -> error and verdict.

Verdicts:
    pass   every output within the case tolerance of the reference
    wrong  a finite output off by more than the tolerance (silently wrong)
    loud   the method raised, or returned NaN/inf where the answer is finite
    n/a    the method declares it does not support the case (dtype, n, XLA)

Errors are measured against the size of the answer: ``max |x - ref| /
scale`` per matrix, where ``scale`` is ``max |ref|`` for gradients and
Hessians, and ``max(|det|, sum |adj(A)^T ∘ A|)`` for det values (the size of
det's first-order change under a relative perturbation of A, so an
ill-conditioned det is judged by what a backward-stable method can reach).
A reference that is exactly 0 makes the error absolute.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from detgrad.catalog import MODES
from detgrad.conformance import reference
from detgrad.conformance.cases import CASES, Case, forward_tangent
from detgrad.impls.registry import METHODS, get_method


@dataclass(frozen=True)
class Outcome:
    """One cell of the conformance matrix."""

    case: str
    method: str
    mode: str
    verdict: str  # pass | wrong | loud | n/a
    error: float | None
    detail: str = ""
    seconds: float = 0.0


def _per_matrix_error(actual: np.ndarray, expected: np.ndarray, scale: np.ndarray) -> tuple[float, bool]:
    """(max error over finite entries, any non-finite entry); one scale per matrix."""
    scale = np.asarray(scale, dtype=float).reshape(-1)
    b = scale.size
    if b == 0:
        return 0.0, False
    actual = np.asarray(actual).reshape(b, -1)
    expected = np.asarray(expected).reshape(b, -1)
    scale = np.where(scale > 0, scale, 1.0)
    finite = np.isfinite(actual)
    diff = np.where(finite, np.abs(actual - expected), 0.0)
    return float(np.max(diff.max(axis=1, initial=0.0) / scale)), bool((~finite).any())


def expected_outputs(case: Case, a: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Reference ``{name: (value, scale per matrix)}`` for the case's outputs."""
    n = a.shape[-1] if a.ndim >= 2 else 0

    def grad_scale(g):
        g = np.abs(np.asarray(g))
        count = int(np.prod(g.shape[:-2]))
        return g.reshape(count, -1).max(axis=-1) if g.size else np.ones(count)

    if case.kind == "seed":
        grad = np.array(reference.seed_model_gradient(*case.point))
        return {"grad": (grad, np.array([np.abs(grad).max()]))}
    if case.kind == "logdet":
        wide = a.astype(np.float64)
        grad = np.linalg.inv(wide).T
        return {
            "value": (np.linalg.slogdet(wide)[1], np.array([max(1.0, abs(np.linalg.slogdet(wide)[1]))])),
            "grad": (grad, grad_scale(grad)),
        }
    d, cof = reference.det(a), reference.cofactor(a)
    if case.kind in ("hess_rr", "hess_fwd"):
        hess = reference.hessian(a)
        hvp = np.einsum("ijkm,km->ij", hess, forward_tangent(n))
        return {"hvp": (hvp, np.array([np.abs(hvp).max()]))}
    if case.kind in ("jac_hess", "jac_hess_loop"):
        hess = reference.hessian(a)
        return {"hess": (hess, np.array([np.abs(hess).max()]))}
    if case.kind in ("bjac_hess", "bjac_hess_loop"):
        hess = np.stack([reference.hessian(m) for m in a])
        return {"hess": (hess, np.abs(hess).reshape(len(a), -1).max(axis=1))}
    if case.kind in ("bjac_grad", "vmap_grad"):
        grads = np.conj(cof)
        return {"grads": (grads, grad_scale(grads))}
    if case.kind == "jvp":
        jvp = np.sum(cof * forward_tangent(n), axis=(-2, -1))
        return {"jvp": (np.asarray(jvp), np.array([np.abs(cof * forward_tangent(n)).sum()]))}
    if case.kind == "hess_ff":
        hess, v = reference.hessian(a), forward_tangent(n)
        vhv = np.einsum("ijkm,ij,km->", hess, v, v)
        # judged against the size of its terms, so an exactly-0 answer (rank <= n-3) stays absolute-ish
        return {"vhv": (np.asarray(vhv), np.array([max(np.einsum("ijkm,ij,km->", np.abs(hess), np.abs(v), np.abs(v)), 1e-300)]))}
    if case.kind == "abs2":
        grad = 2 * d[..., None, None] * np.conj(cof)
        return {"grad": (grad, grad_scale(grad))}
    if case.kind == "phase":
        theta = np.angle(d)
        grad = 1j * np.cos(theta)[..., None, None] * np.conj(cof / d[..., None, None])
        return {"grad": (grad, grad_scale(grad))}
    cot = np.ones(d.shape) if case.cotangent is None else case.cotangent()
    grad = cot[..., None, None] * np.conj(cof)
    value_scale = np.maximum(np.abs(d), np.abs(cof * a).sum(axis=(-2, -1)))
    return {"value": (d, value_scale), "grad": (grad, grad_scale(grad))}


@functools.cache
def _expected(case: Case) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """References of a case, computed once and shared by every method and mode."""
    return expected_outputs(case, case.build())


def judge(case: Case, actual: dict, expected: dict) -> tuple[str, float, str]:
    """Compare outputs with references: (verdict, worst error, detail)."""
    worst, nonfinite = 0.0, False
    for name, (ref, scale) in expected.items():
        got = actual.get(name)
        if got is None:
            return "wrong", float("inf"), f"no {name} (gradient disconnected)"
        if np.shape(got) != np.shape(ref):
            return "wrong", float("inf"), f"{name} shape {np.shape(got)} != {np.shape(ref)}"
        err, bad = _per_matrix_error(got, ref, scale)
        worst, nonfinite = max(worst, err), nonfinite or bad
    if worst > case.tol:
        return "wrong", worst, ""
    if nonfinite:
        return "loud", worst, "NaN/inf"
    return "pass", worst, ""


def run_cell(case: Case, method: str, mode: str) -> Outcome:
    """Run one case with one method in one mode (imports TF lazily)."""
    from detgrad.conformance.probes import run_probe
    from detgrad.errors import DetgradError

    a = case.build()
    n = a.shape[-1] if a.ndim >= 2 else 2
    problem = get_method(method).support_problem(n, case.dtype, mode)
    if problem:
        return Outcome(case.name, method, mode, "n/a", None, problem)
    started = time.perf_counter()
    try:
        inputs = np.array(case.point) if case.kind == "seed" else a
        actual = run_probe(
            case.kind,
            method,
            mode,
            inputs,
            cotangent=case.cotangent() if case.cotangent else None,
            tangent=forward_tangent(n) if case.kind.startswith("hess") or case.kind == "jvp" else None,
        )
    except DetgradError as exc:
        return Outcome(case.name, method, mode, "n/a", None, str(exc), time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - any TF failure is a loud result, recorded
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        return Outcome(case.name, method, mode, "loud", None, f"{type(exc).__name__}: {first}", time.perf_counter() - started)
    verdict, err, detail = judge(case, actual, _expected(case))
    return Outcome(case.name, method, mode, verdict, err, detail, time.perf_counter() - started)


def run_matrix(
    methods: Iterable[str] = METHODS,
    modes: Iterable[str] = MODES,
    cases: Iterable[Case] = CASES,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[Outcome]:
    """Run every (case, method, mode); ``progress(done, total, label)`` after each."""
    cells = [(c, m, mode) for mode in modes for m in methods for c in cases]
    outcomes = []
    for i, (case, method, mode) in enumerate(cells):
        if progress:
            progress(i, len(cells), f"{method} / {mode} / {case.name}")
        outcomes.append(run_cell(case, method, mode))
    if progress:
        progress(len(cells), len(cells), "done")
    return outcomes
