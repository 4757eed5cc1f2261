"""User-facing errors of detgrad.

Every error a user can cause is a :class:`DetgradError` with a one-line
message that names what is wrong and what would be valid.  The CLI prints
that line and exits with status 1 instead of showing a traceback.

``ag_pass_through = True`` keeps the exception type and message intact when
it is raised while ``tf.function`` traces (AutoGraph would otherwise wrap it
in a ``StagingError``), so ``except detgrad.UnsupportedError`` works around
compiled calls too.
"""

from __future__ import annotations


class DetgradError(ValueError):
    """A user mistake: bad input, bad option, bad file.  One-line message."""

    ag_pass_through = True


class UnsupportedError(DetgradError):
    """A method that does not support this input (dtype, size, mode)."""

    ag_pass_through = True
