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

``pd_logdet`` cases (log det of Hermitian positive-definite matrices, see
:mod:`detgrad.conformance.cases`): a member that is not positive definite has a
NaN reference.  Its value must come out NaN (a finite value is ``wrong``); its
other outputs are not judged.  In eager mode ``detgrad.logdet`` raises a
``DetgradError`` naming such members instead: that ``pass`` es if it names only
members that are not positive definite, and the members it did not name are
then run again on their own and judged as above (so a method that misses one
non-positive-definite member is ``wrong`` in eager mode too).  A
``DetgradError`` on positive-definite input is ``loud``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from detgrad.catalog import MODES, PD_TARGET
from detgrad.conformance import reference
from detgrad.conformance.cases import CASES, Case, forward_tangent
from detgrad.errors import DetgradError, UnsupportedError
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
    known = ~np.isnan(expected)  # NaN reference: a pd_logdet member that is not positive definite (judged apart)
    finite = np.isfinite(actual)
    diff = np.where(finite & known, np.abs(actual - np.where(known, expected, 0)), 0.0)
    return float(np.max(diff.max(axis=1, initial=0.0) / scale)), bool((~finite & known).any())


def expected_outputs(case: Case, a: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Reference ``{name: (value, scale per matrix)}`` for the case's outputs."""
    n = a.shape[-1] if a.ndim >= 2 else 0

    def grad_scale(g):
        g = np.abs(np.asarray(g))
        count = int(np.prod(g.shape[:-2]))
        return g.reshape(count, -1).max(axis=-1) if g.size else np.ones(count)

    if case.target == PD_TARGET:
        return _pd_expected_outputs(case, a)
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


def _pd_expected_outputs(case: Case, x: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """References of a ``pd_logdet`` case: f(X) = log det S(X) and its derivatives (closed forms of
    :mod:`detgrad.conformance.reference` on A^{-1} at 50 digits); NaN for members that are not positive definite."""
    value, inverse = reference.pd_logdet_and_inverse(x)
    n = x.shape[-1]

    def per_matrix_max(t, count):
        t = np.abs(np.asarray(t)).reshape(count, -1)
        return np.nanmax(t, axis=1, initial=0.0) if t.size else np.ones(count)

    count = int(np.prod(x.shape[:-2]))
    if case.kind == "value_grad":
        return {
            "value": (value, np.maximum(1.0, np.nan_to_num(np.abs(value).reshape(-1)))),
            "grad": (inverse, per_matrix_max(inverse, count)),
        }
    if case.kind in ("bjac_grad", "vmap_grad"):
        return {"grads": (inverse, per_matrix_max(inverse, count))}
    if case.kind in ("hess_rr", "hess_fwd"):
        hvp = reference.pd_logdet_hvp(inverse, forward_tangent(n))
        return {"hvp": (hvp, per_matrix_max(hvp, 1))}
    if case.kind in ("jac_hess", "jac_hess_loop"):
        hess = reference.pd_logdet_hessian(inverse)
        return {"hess": (hess, per_matrix_max(hess, 1))}
    if case.kind in ("bjac_hess", "bjac_hess_loop"):
        hess = np.stack([reference.pd_logdet_hessian(m) for m in inverse])
        return {"hess": (hess, per_matrix_max(hess, len(hess)))}
    v = forward_tangent(n)
    if case.kind == "jvp":
        # judged against the size of its terms, like det's JVP
        scale = np.abs(inverse * reference.hermitian_part(v).T).sum()
        return {"jvp": (reference.pd_logdet_jvp(inverse, v), np.array([scale]))}
    if case.kind == "hess_ff":
        left = np.abs(inverse) @ np.abs(reference.hermitian_part(v))
        scale = np.einsum("ij,ji->", left, left)
        return {"vhv": (reference.pd_logdet_vhv(inverse, v), np.array([scale]))}
    raise ValueError(f"no pd_logdet reference for kind {case.kind!r}")


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
        if name == "value":
            undefined = np.isnan(np.asarray(ref, dtype=complex))  # log det of a member that is not positive definite
            finite_there = np.argwhere(undefined & np.isfinite(got))
            if finite_there.size:
                where = ", ".join(_member_label(m) for m in finite_there)
                return "wrong", float("inf"), f"finite log det for member(s) {where}, which are not positive definite"
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

    a = case.build()
    n = a.shape[-1] if a.ndim >= 2 else 2
    problem = get_method(method).support_problem(n, case.dtype, mode, case.target)
    if problem:
        return Outcome(case.name, method, mode, "n/a", None, problem)
    started = time.perf_counter()

    def probe(inputs):
        return run_probe(
            case.kind,
            method,
            mode,
            inputs,
            cotangent=case.cotangent() if case.cotangent else None,
            tangent=forward_tangent(n) if case.kind.startswith("hess") or case.kind == "jvp" else None,
            target=case.target,
        )

    try:
        actual = probe(np.array(case.point) if case.kind == "seed" else a)
    except UnsupportedError as exc:
        return Outcome(case.name, method, mode, "n/a", None, str(exc), time.perf_counter() - started)
    except DetgradError as exc:
        if case.target != PD_TARGET:
            return Outcome(case.name, method, mode, "n/a", None, str(exc), time.perf_counter() - started)
        verdict, err, detail = _judge_pd_raise(case, a, mode, str(exc), probe)
        return Outcome(case.name, method, mode, verdict, err, detail, time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - any TF failure is a loud result, recorded
        return Outcome(case.name, method, mode, "loud", None, _first_line(exc), time.perf_counter() - started)
    verdict, err, detail = judge(case, actual, _expected(case))
    if verdict == "pass" and case.target == PD_TARGET and mode == "eager" and np.isnan(_pd_values(case)).any():
        verdict, detail = "loud", "no DetgradError in eager mode for the members that are not positive definite (documented)"
    return Outcome(case.name, method, mode, verdict, err, detail, time.perf_counter() - started)


def _first_line(exc: Exception) -> str:
    first = (str(exc).strip().splitlines() or [""])[0][:160]
    return f"{type(exc).__name__}: {first}"


def _member_label(index) -> str:
    """A batch member as :func:`detgrad.logdet`'s message names it: ``2`` or ``(1, 0)``."""
    index = tuple(int(i) for i in np.atleast_1d(index))
    return str(index[0]) if len(index) == 1 else str(index)


@functools.cache
def _pd_values(case: Case) -> np.ndarray:
    """The reference log det of every member of a ``pd_logdet`` case (NaN: not positive definite)."""
    return np.asarray(reference.pd_logdet_and_inverse(case.build())[0])


def _judge_pd_raise(case: Case, a: np.ndarray, mode: str, message: str, probe) -> tuple[str, float | None, str]:
    """A ``DetgradError`` from ``detgrad.logdet``: right only in eager mode and if it names members that are
    not positive definite, no other.  Then the named members are replaced by the identity and the batch is run
    again: the members it did not name must now be right (NaN, or another error, for the unnamed non-PD ones)."""
    values = _pd_values(case)
    if values.ndim == 0:
        not_pd = {"matrix"} if np.isnan(values) else set()
    else:
        not_pd = {_member_label(m) for m in np.argwhere(np.isnan(values))}
    if mode != "eager" or not not_pd:
        return "loud", None, f"DetgradError on positive-definite input: {message[:160]}"
    if values.ndim == 0:
        return ("pass", None, "raised DetgradError as documented") if "the matrix is" in message else ("loud", None, message)
    listed = re.search(r"batch member\(s\) (.*?)(?: and \d+ more)? not \(", message)
    named = set(re.findall(r"\(\d+(?:, \d+)*\)|\d+", listed.group(1))) if listed else set()
    if not named or not named <= not_pd:
        return "loud", None, f"DetgradError naming {sorted(named)}, not a subset of the non-PD members {sorted(not_pd)}"
    done = f"raised DetgradError naming member(s) {', '.join(sorted(named))} as documented"
    flat = a.reshape((-1,) + a.shape[-2:]).copy()
    labels = [_member_label(np.unravel_index(i, values.shape)) for i in range(len(flat))]
    if named == set(labels):
        return "pass", None, done
    for i, label in enumerate(labels):
        if label in named:
            flat[i] = np.eye(a.shape[-1], dtype=a.dtype)
    rest = flat.reshape(a.shape)
    rest_case = dataclasses.replace(case, build=lambda: rest)
    try:
        actual = probe(rest)
    except DetgradError as exc:
        verdict, err, detail = _judge_pd_raise(rest_case, rest, mode, str(exc), probe)
    except Exception as exc:  # noqa: BLE001 - any TF failure is a loud result, recorded
        verdict, err, detail = "loud", None, _first_line(exc)
    else:
        expected = expected_outputs(rest_case, rest)
        verdict, err, detail = judge(rest_case, actual, expected)
        if verdict == "pass" and np.isnan(expected["value"][0]).any():
            verdict, detail = "loud", "no DetgradError for the remaining members that are not positive definite"
    return verdict, err, f"{done}; run again with those members set to I: {verdict} {detail}".rstrip()


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
