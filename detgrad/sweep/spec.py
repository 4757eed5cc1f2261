"""Sweep specifications: TOML -> :class:`SweepSpec` -> grid of :class:`~detgrad.runs.schema.Cell`.

A spec file (or a packaged preset, ``detgrad/presets/<name>.toml``) has::

    name = "quick"
    description = "..."

    [settings]          # timing and sweep knobs: detgrad.sweep.settings.SweepSettings
    budget_s = 0.4      # sampling time per cell (seconds)

    [axes]              # the grid is the Cartesian product of these lists
    method = "all"      # every method that computes one of the targets, or a list of names from detgrad.METHODS
    mode = ["eager", "graph", "xla"]
    target = ["det", "logdet"]   # also "pd_logdet": log det of Hermitian positive-definite inputs
    n = [2, 8, 32]
    batch = [1, 64]
    dtype = ["float32", "float64"]
    device = ["CPU:0"]
    threads = [0]       # intra-op threads, 0 = TF default
    cond = [10.0, 1e6]  # optional; absent = Gaussian inputs scaled to |det| = 1

    Peers (``"jax"``, ``"torch"``, ``"numpy"``, see :mod:`detgrad.sweep.peers`) may be listed in
    ``method``; their cells get ``family`` = the peer's name and one mode (``eager``).

    [[exclude]]         # drop cells matching every condition of a rule
    method = "closed"   # exact value or list of values
    n_gt = 3            # <axis>_gt / _ge / _lt / _le for n, batch, threads, cond

Every mistake raises :class:`DetgradError` with one line naming the key or
value and what is allowed.  Nothing here imports TensorFlow except the
method-name check, which imports the registry lazily.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from detgrad.catalog import ALL_DTYPES, MODES, TARGETS
from detgrad.errors import DetgradError
from detgrad.runs.schema import Cell
from detgrad.sweep.settings import SweepSettings

DTYPES = ALL_DTYPES
AXES = ("method", "mode", "target", "n", "batch", "dtype", "device", "threads", "cond")
NUMERIC_AXES = ("n", "batch", "threads", "cond")
COMPARISONS = ("gt", "ge", "lt", "le")
TOP_KEYS = ("name", "description", "settings", "axes", "exclude")
DEVICE_RE = re.compile(r"^(CPU|GPU):\d+$")

AXIS_DEFAULTS: dict[str, list] = {
    "mode": list(MODES),
    "target": ["det"],
    "dtype": ["float64"],
    "device": ["CPU:0"],
    "threads": [0],
    "cond": [None],
}


@dataclass(frozen=True)
class SweepSpec:
    """A validated spec: axis value lists, exclusion rules and settings."""

    name: str
    axes: dict[str, tuple]
    exclude: tuple[dict[str, Any], ...] = ()
    settings: SweepSettings = field(default_factory=SweepSettings)
    description: str = ""

    def cells(self) -> list[Cell]:
        """The expanded grid minus excluded cells, sorted by key (deterministic)."""
        from detgrad.sweep.peers import PEER_MODE, is_peer

        family = self.settings.family
        out = []
        for values in itertools.product(*(self.axes[a] for a in AXES)):
            cell = Cell(*values, family=family)
            if is_peer(cell.method):  # a peer has one mode: one cell per problem
                cell = replace(cell, family=cell.method, mode=PEER_MODE)
            if not any(_matches(rule, cell) for rule in self.exclude):
                out.append(cell)
        return sorted(set(out), key=lambda c: c.key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "settings": self.settings.as_dict(),
            "axes": {a: list(v) for a, v in self.axes.items()},
            "exclude": [dict(r) for r in self.exclude],
        }

    def with_devices(self, devices: list[str]) -> SweepSpec:
        axes = dict(self.axes)
        axes["device"] = tuple(_check_device(d, "--device") for d in devices)
        return SweepSpec(self.name, axes, self.exclude, self.settings, self.description)


def _matches(rule: dict[str, Any], cell: Cell) -> bool:
    for key, want in rule.items():
        axis, _, op = key.partition("_")
        have = getattr(cell, axis)
        if op:
            if have is None:
                return False
            ok = {"gt": have > want, "ge": have >= want, "lt": have < want, "le": have <= want}[op]
        else:
            ok = have in want if isinstance(want, list) else have == want
        if not ok:
            return False
    return True


def _allowed(what: str, key: str, allowed) -> DetgradError:
    return DetgradError(f"{what}: unknown key {key!r}; allowed: {', '.join(allowed)}")


def _check_device(value: Any, where: str) -> str:
    text = str(value).strip()
    text = re.sub(r"^/?(device:)?", "", text, flags=re.IGNORECASE).upper()
    if not DEVICE_RE.match(text):
        raise DetgradError(f"{where}: bad device {value!r}; expected TYPE:INDEX with TYPE CPU or GPU, e.g. 'CPU:0', 'GPU:1'")
    return text


def _method_names() -> tuple[str, ...]:
    from detgrad.impls.registry import METHODS

    return METHODS


def _method_choices() -> tuple[str, ...]:
    """Values the method axis accepts: detgrad methods, peers and the default's variants (``auto@builtin``, ...)."""
    from detgrad.impls.registry import AUTO_VARIANTS
    from detgrad.sweep.peers import PEERS

    return _method_names() + tuple(p for p in PEERS if p not in _method_names()) + AUTO_VARIANTS


def _axis_values(src: str, axis: str, raw: Any) -> tuple:
    where = f"{src}: [axes] {axis}"
    if axis == "method" and raw == "all":
        return _method_names()
    values = raw if isinstance(raw, list) else [raw]
    if not values:
        raise DetgradError(f"{where}: empty list; give at least one value")
    choices = {"method": None, "mode": MODES, "target": TARGETS, "dtype": DTYPES}
    out: list[Any] = []
    for v in values:
        if axis in choices:
            allowed = _method_choices() if axis == "method" else choices[axis]
            if v not in allowed:
                raise DetgradError(f"{where}: bad value {v!r}; allowed: {', '.join(allowed)}")
        elif axis == "device":
            v = _check_device(v, where)
        elif axis in ("n", "batch", "threads"):
            lo = 0 if axis == "threads" else 1
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise DetgradError(f"{where}: bad value {v!r}; expected an integer >= {lo}")
        elif axis == "cond":
            if v is None:
                pass
            elif isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 1:
                raise DetgradError(f"{where}: bad value {v!r}; expected a number >= 1 (condition number)")
            else:
                v = float(v)
        out.append(v)
    return tuple(dict.fromkeys(out))


def _check_rule(src: str, i: int, rule: Any) -> dict[str, Any]:
    where = f"{src}: [[exclude]] rule {i + 1}"
    if not isinstance(rule, dict) or not rule:
        raise DetgradError(f"{where}: expected a non-empty table of conditions")
    allowed = list(AXES) + [f"{a}_{op}" for a in NUMERIC_AXES for op in COMPARISONS]
    for key, value in rule.items():
        if key not in allowed:
            raise _allowed(where, key, allowed)
        if "_" in key and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise DetgradError(f"{where}: {key} = {value!r} must be a number")
    return dict(rule)


def parse_spec(data: dict[str, Any], src: str = "spec") -> SweepSpec:
    """Validate a spec dict (the parsed TOML) into a :class:`SweepSpec`."""
    for key in data:
        if key not in TOP_KEYS:
            raise _allowed(src, key, TOP_KEYS)
    settings = SweepSettings.parse(data.get("settings"), src)
    raw_axes = data.get("axes") or {}
    for key in raw_axes:
        if key not in AXES:
            raise _allowed(f"{src}: [axes]", key, AXES)
    axes: dict[str, tuple] = {}
    for axis in AXES:
        if axis in raw_axes:
            axes[axis] = _axis_values(src, axis, raw_axes[axis])
        elif axis in AXIS_DEFAULTS:
            axes[axis] = tuple(AXIS_DEFAULTS[axis])
        else:
            raise DetgradError(f"{src}: [axes] is missing {axis!r}; required: method, n, batch")
    if raw_axes.get("method") == "all":  # "all": the methods that compute one of the spec's targets
        from detgrad.catalog import CATALOG

        axes["method"] = tuple(m for m in axes["method"] if set(CATALOG[m].targets) & set(axes["target"]))
    rules = data.get("exclude") or []
    if not isinstance(rules, list):
        raise DetgradError(f"{src}: 'exclude' must be an array of tables ([[exclude]])")
    exclude = tuple(_check_rule(src, i, r) for i, r in enumerate(rules))
    name = str(data.get("name") or Path(src).stem)
    return SweepSpec(name, axes, exclude, settings, str(data.get("description", "")))


def list_presets() -> list[str]:
    """Names of the packaged presets (``detgrad/presets/*.toml``)."""
    folder = resources.files("detgrad") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def read_spec_data(path: str | None = None, preset: str | None = None) -> tuple[dict[str, Any], str]:
    """The parsed TOML of a spec file or packaged preset, unvalidated, and its display name."""
    if preset is not None:
        if preset not in list_presets():
            raise DetgradError(f"unknown preset {preset!r}; available presets: {', '.join(list_presets())}")
        text = (resources.files("detgrad") / "presets" / f"{preset}.toml").read_text(encoding="utf-8")
        src = f"preset {preset}"
    elif path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DetgradError(f"spec file not found: {path}") from None
        except OSError as exc:
            raise DetgradError(f"cannot read spec file {path}: {exc.strerror}") from None
        src = str(path)
    else:
        raise DetgradError(f"give a spec: --preset NAME ({', '.join(list_presets())}) or a SPEC.toml file")
    try:
        return tomllib.loads(text), src
    except tomllib.TOMLDecodeError as exc:
        raise DetgradError(f"{src}: invalid TOML: {exc}") from None


def load_spec(path: str | None = None, preset: str | None = None) -> SweepSpec:
    """Load and validate a spec from a TOML file or a packaged preset by name."""
    data, src = read_spec_data(path, preset)
    return parse_spec(data, src)


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``"K/N"`` (1-based K, 1 <= K <= N)."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise DetgradError(f"bad --shard {text!r}; expected K/N with 1 <= K <= N, e.g. 1/4")
    return int(m.group(1)), int(m.group(2))


def shard_cells(cells: list[Cell], k: int, n: int) -> list[Cell]:
    """Shard K of N: round-robin over problems sorted by key, so N shards cover each cell once
    and the cells of one problem (a group, timed together) stay in one shard."""
    problems = sorted({c.problem_key for c in cells})
    mine = set(problems[k - 1 :: n])
    return sorted((c for c in cells if c.problem_key in mine), key=lambda c: c.key)
