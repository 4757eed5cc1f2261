"""A reader of the small YAML subset the shipped Kubernetes manifest uses, for tests without PyYAML.

Block mappings and sequences (``- key: value`` items included), ``|`` block scalars,
double-quoted and plain scalars, integers, JSON-style flow sequences of double-quoted
strings, and ``#`` comments.  Anything else raises ``ValueError`` rather than being
guessed, and where PyYAML is installed the tests check that both readers agree.
"""

from __future__ import annotations

import json
import re
from typing import Any


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def _scalar(text: str) -> Any:
    if text.startswith(("[", '"')):
        return json.loads(text)
    if text.startswith(("'", "{", "&", "*", "!", ">", "|")):
        raise ValueError(f"outside the YAML subset: {text!r}")
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text in ("true", "false", "null", "~"):
        raise ValueError(f"outside the YAML subset (booleans, null): {text!r}")
    return text


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.i = 0

    def peek(self) -> tuple[int, str] | None:
        """(indent, content) of the next line with content, skipping blank and comment lines."""
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if "\t" in line[: len(line) - len(line.lstrip())]:
                raise ValueError(f"line {self.i + 1}: tab in indentation")
            content = _strip_comment(line).strip()
            if content:
                return len(line) - len(line.lstrip(" ")), content
            self.i += 1
        return None

    def node(self, indent: int) -> Any:
        ind, content = self.peek() or (-1, "")
        if ind < indent:
            return None
        return self.sequence(ind) if content == "-" or content.startswith("- ") else self.mapping(ind)

    def sequence(self, indent: int) -> list:
        items = []
        while (nxt := self.peek()) and nxt[0] == indent and (nxt[1] == "-" or nxt[1].startswith("- ")):
            rest = nxt[1][1:].strip()
            if not rest:
                self.i += 1
                items.append(self.node(indent + 1))
            elif rest == "|":
                self.i += 1
                items.append(self.block(indent))
            elif re.match(r"[\w.-]+:(\s|$)", rest):  # "- key: value": a mapping two columns in
                self.lines[self.i] = self.lines[self.i].replace("-", " ", 1)
                items.append(self.mapping(indent + 2))
            else:
                self.i += 1
                items.append(_scalar(rest))
        return items

    def mapping(self, indent: int) -> dict:
        out: dict[str, Any] = {}
        while (nxt := self.peek()) and nxt[0] == indent and not nxt[1].startswith("- "):
            m = re.fullmatch(r"([\w.-]+):(?:\s+(.*))?", nxt[1])
            if not m or m.group(1) in out:
                raise ValueError(f"line {self.i + 1}: outside the YAML subset: {nxt[1]!r}")
            self.i += 1
            key, rest = m.group(1), (m.group(2) or "").strip()
            if rest == "|":
                out[key] = self.block(indent)
            elif rest:
                out[key] = _scalar(rest)
            else:
                child = self.peek()
                nested = child and (child[0] > indent or (child[0] == indent and child[1].startswith("- ")))
                out[key] = self.node(child[0]) if nested else None
        if (nxt := self.peek()) and nxt[0] > indent:
            raise ValueError(f"line {self.i + 1}: unexpected indentation")
        return out

    def block(self, parent: int) -> str:
        """A ``|`` block scalar: the following lines indented deeper than ``parent``, one newline kept at the end."""
        body: list[str] = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.strip() and len(line) - len(line.lstrip(" ")) <= parent:
                break
            body.append(line)
            self.i += 1
        while body and not body[-1].strip():
            body.pop()
        if not body:
            return ""
        cut = min(len(line) - len(line.lstrip(" ")) for line in body if line.strip())
        return "\n".join(line[cut:] for line in body) + "\n"


def load(text: str) -> Any:
    """Parse ``text`` (one document of the subset described above)."""
    reader = _Reader(text)
    data = reader.node(0)
    if reader.peek() is not None:
        raise ValueError(f"line {reader.i + 1}: not parsed")
    return data
