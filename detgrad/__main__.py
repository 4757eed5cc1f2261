"""``python -m detgrad`` is the ``detgrad`` command."""

import sys

from detgrad.cli import main

sys.exit(main())
