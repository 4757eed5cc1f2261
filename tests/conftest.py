"""Shared test helpers live beside the tests as plain modules, imported by name:

* ``synthetic``: run-file cells and headers for the publishing tests (no TensorFlow);
* ``fake_clock``: a deterministic clock for the timer's tests;
* ``property_cases``: the Hypothesis strategies and references of ``test_properties``;
* ``tf_helpers``: running a function eagerly, in a graph or under XLA, and det with its gradient;
* ``browser``, ``yaml_subset``: the HTML report's headless-browser check, a YAML reader for CI files.

This file puts the tests folder on ``sys.path`` so those imports work under any pytest import mode
(``--import-mode=importlib`` does not add it); it defines no fixtures and imports nothing heavy.
It also turns tuned dispatch tables off (``DETGRAD_TUNED_TABLE=off``): the tests check the built-in table,
whatever ``detgrad tune`` left in this machine's cache (the loader's own tests set the variable themselves).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["DETGRAD_TUNED_TABLE"] = "off"

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
