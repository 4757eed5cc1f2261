"""Peers: the same value + gradient computation in other frameworks, timed like detgrad cells.

A peer cell has ``family`` and ``method`` both equal to the peer's name:

    jax     ``jax.jit(jax.value_and_grad(L))`` with ``L = sum det(A)`` (or ``sum log|det A|``);
            float64 runs with ``jax_enable_x64``.  Compilation happens in the first call (trace_s).
    torch   ``torch.linalg.det`` / ``torch.linalg.slogdet`` + ``torch.autograd.grad`` (eager PyTorch).
    numpy   the LAPACK floor: ``det(A)`` and ``det(A)·inv(A)^T`` (``inv(A)^T`` for logdet) —
            a formula, not autodiff; it refactors A for the inverse.

For ``pd_logdet`` (positive-definite input) each peer takes its framework's Cholesky route, as its users
would: ``2 · sum log diag(cholesky(A))`` differentiated by jax / torch, and numpy's ``cholesky`` and ``inv``.

Peers have one mode, recorded as ``eager`` (the grid keeps one peer cell per problem whatever
its mode axis says).  A peer that is not installed yields ``unsupported`` cells with the reason.
Every call forces its results to host numpy arrays inside the timed region, as detgrad cells do.
Install the peers with ``pip install "detgrad[peers]"``.  Nothing here imports a peer framework
until a cell of that peer runs.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np

PEERS: tuple[str, ...] = ("jax", "torch", "numpy")
PEER_MODE = "eager"
PEER_DTYPES = ("float32", "float64", "complex64", "complex128")
_MODULE = {"jax": "jax", "torch": "torch", "numpy": "numpy"}

ValueGrad = Callable[[Any], tuple[np.ndarray, np.ndarray]]


def is_peer(method: str) -> bool:
    return method in PEERS


def support_problem(method: str, n: int, dtype: str, device: str = "CPU:0") -> str | None:
    """Why the peer cannot run this cell here (``None`` if it can); never imports the peer."""
    if method not in PEERS:
        return f"unknown peer {method!r}; peers: {', '.join(PEERS)}"
    if importlib.util.find_spec(_MODULE[method]) is None:
        return f'peer {method!r} is not installed (pip install "detgrad[peers]")'
    if dtype not in PEER_DTYPES:
        return f"peer {method!r} does not support dtype {dtype}"
    if not str(device).upper().startswith("CPU"):
        return f"peer {method!r} is measured on CPU only, got device {device}"
    return None


def flops(n: int) -> float:
    """Nominal value + gradient flops (LU + inverse from it), as for detgrad's shared-factor methods."""
    return 2.0 * n**3


# --- jax --------------------------------------------------------------------------------------


def _jax(target: str, dtype: str) -> tuple[Callable[[np.ndarray], Any], ValueGrad]:
    import jax

    if dtype in ("float64", "complex128"):
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    if target == "det":

        def value(a):
            return jnp.linalg.det(a)

        def loss(a):
            v = value(a)
            return jnp.sum(jnp.real(v)), v
    elif target == "pd_logdet":

        def loss(a):
            v = 2.0 * jnp.sum(jnp.log(jnp.real(jnp.diagonal(jnp.linalg.cholesky(a), axis1=-2, axis2=-1))), axis=-1)
            return jnp.sum(v), v
    else:

        def loss(a):
            v = jnp.linalg.slogdet(a)[1]
            return jnp.sum(v), v

    step = jax.jit(jax.value_and_grad(loss, has_aux=True))
    complex_ = dtype.startswith("complex")

    def call(a):
        (_, v), g = step(a)
        g = jnp.conj(g) if complex_ else g  # jax's cotangent convention is the conjugate of TF's
        return np.asarray(v), np.asarray(g)

    return (lambda x: jax.device_put(x)), call


# --- torch ------------------------------------------------------------------------------------


def _torch(target: str, dtype: str) -> tuple[Callable[[np.ndarray], Any], ValueGrad]:
    import torch

    def call(a):
        x = a.detach().requires_grad_(True)
        if target == "pd_logdet":
            v = 2.0 * torch.log(torch.diagonal(torch.linalg.cholesky(x), dim1=-2, dim2=-1).real).sum(-1)
        else:
            v = torch.linalg.det(x) if target == "det" else torch.linalg.slogdet(x)[1]
        loss = v.real.sum() if v.is_complex() else v.sum()
        (g,) = torch.autograd.grad(loss, x)
        return v.detach().numpy(), g.numpy()

    return (lambda x: torch.from_numpy(np.ascontiguousarray(x))), call


# --- numpy ------------------------------------------------------------------------------------


def _numpy(target: str, dtype: str) -> tuple[Callable[[np.ndarray], Any], ValueGrad]:
    def call(a):
        if target == "pd_logdet":
            factor = np.linalg.cholesky(a)
            value = 2.0 * np.sum(np.log(np.real(np.diagonal(factor, axis1=-2, axis2=-1))), axis=-1)
            return value, np.linalg.inv(a)
        inv_t = np.swapaxes(np.linalg.inv(a), -1, -2)
        if target == "det":
            d = np.linalg.det(a)
            return d, np.conj(d[:, None, None] * inv_t)
        return np.linalg.slogdet(a)[1], np.conj(inv_t)

    return (lambda x: x), call


_BUILDERS = {"jax": _jax, "torch": _torch, "numpy": _numpy}


def build(method: str, target: str, dtype: str) -> tuple[Callable[[np.ndarray], Any], ValueGrad]:
    """``(to_input, call)``: convert a host array to the peer's input; value + gradient as numpy arrays."""
    return _BUILDERS[method](target, dtype)
