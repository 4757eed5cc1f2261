"""A sweep's ``[settings]``: one frozen dataclass with every knob's default, validated once.

A spec's ``[settings]`` table is checked by :meth:`SweepSettings.parse` (one-line errors naming the
key and what is allowed); after that the settings travel as :class:`SweepSettings` inside this
process and as :meth:`~SweepSettings.as_dict` in the run-file header and the worker protocol, read
back by :meth:`~SweepSettings.from_dict`.  :class:`detgrad.sweep.timing.TimingConfig` takes its
defaults from here.  No TensorFlow.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from detgrad.errors import DetgradError


@dataclass(frozen=True)
class SweepSettings:
    """Timing and sweep knobs.

    Attributes:
        family: the ``family`` of the spec's detgrad cells (peers get their own).
        seed: input seed (each problem's buffers are seeded by it and the problem key).
        warmup: untimed calls before the rounds.
        min_block_s: a timed block runs calls until it lasts at least this long (seconds).
        budget_s: sampling time per cell (seconds); cells of one problem share interleaved rounds.
        min_samples, max_samples: rounds per cell.
        buffers: input buffers cycled through, so no call reuses the previous one's input.
        accuracy_sample: matrices per cell checked against the float64 reference.
        timeout_s: per cell; a group may take this times its number of cells.
        max_bytes: input memory limit per cell (0: a quarter of physical memory).
        logical_cpus: split the CPU into this many logical devices (0: one).
    """

    family: str = "detgrad"
    seed: int = 0
    warmup: int = 2
    min_block_s: float = 2e-4
    budget_s: float = 0.5
    min_samples: int = 5
    max_samples: int = 40
    buffers: int = 4
    accuracy_sample: int = 4
    timeout_s: float = 300.0
    max_bytes: int = 0
    logical_cpus: int = 0

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None, src: str = "spec") -> SweepSettings:
        """A spec's ``[settings]`` table, validated: unknown keys, wrong types and negative numbers raise one line."""
        values: dict[str, Any] = {}
        types = {f.name: type(f.default) for f in dataclasses.fields(cls)}
        for key, value in (raw or {}).items():
            if key not in types:
                raise DetgradError(f"{src}: [settings]: unknown key {key!r}; allowed: {', '.join(types)}")
            typ = types[key]
            if typ is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, typ) or isinstance(value, bool) or (typ is not str and value < 0):
                raise DetgradError(f"{src}: [settings] {key} = {value!r} must be a non-negative {typ.__name__}")
            values[key] = value
        return cls(**values)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | SweepSettings | None) -> SweepSettings:
        """Settings already validated (a run header, a worker request, a test's dict): known keys, defaults for the rest."""
        if isinstance(data, SweepSettings):
            return data
        known = set(cls.keys())
        return cls(**{k: v for k, v in (data or {}).items() if k in known})

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> SweepSettings:
        return dataclasses.replace(self, **changes)

    def with_memory_limit(self) -> SweepSettings:
        """``max_bytes`` made concrete: as given, or a quarter of physical memory when 0."""
        if self.max_bytes:
            return self
        try:
            limit = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4
        except (ValueError, OSError, AttributeError):
            limit = 4 * 2**30
        return self.replace(max_bytes=int(limit))
