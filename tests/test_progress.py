"""The sweep's progress display: plain lines off a TTY, in-place updates on one."""

from __future__ import annotations

import io

from detgrad.sweep.progress import Progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(stream: io.StringIO) -> str:
    progress = Progress(3, stream=stream)
    for label, status in (("lu eager n=2", "ok"), ("closed xla n=4", "unsupported"), ("builtin graph n=2", "ok")):
        progress.start(label)
        progress.finish(status, 0.5)
    progress.close()
    return stream.getvalue()


def test_plain_lines_when_not_a_tty():
    lines = _run(io.StringIO()).splitlines()
    assert lines[0] == "[0/3]   0% ETA ? lu eager n=2"
    assert lines[1].startswith("[1/3]  33% ETA 0m01s closed xla n=4")  # ETA from measured cells only
    assert lines[-1].startswith("[3/3] done in")
    assert len(lines) == 4 and not any("\x1b" in line or "\r" in line for line in lines)


def test_updates_in_place_on_a_tty():
    text = _run(_Tty())
    assert "\r" in text or "\x1b[" in text  # redrawn in place, not one line per cell
    assert "3/3" in text and "done in" in text and text.count("\n") <= 2
