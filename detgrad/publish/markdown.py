"""Markdown -> HTML for the Markdown that detgrad writes (reports, tables, the conformance matrix).

A small converter instead of a dependency: the report uses a known subset of GitHub-flavoured
Markdown, and this module renders exactly that subset.

Blocks: ATX headings (``#`` .. ``######``), paragraphs, ``-``/``*``/``+`` and ``1.`` lists (one
level, continuation lines indented), pipe tables with ``---:``/``:---:`` alignment, fenced code
(````` ``` `````), ``>`` quotes and ``---`` rules.  Inline: code spans, backslash escapes,
``[text](href)`` links, ``![alt](src)`` images, ``**strong**``, ``*em*`` and ``_em_`` (not inside
words, so ``time_vs_n_det`` stays a name).  Raw HTML in the source is escaped, never passed
through: text from a run file (a host or CPU name) cannot inject markup.

A paragraph that is a single image becomes a block of its own (``image_block``), so that a
report can put the chart itself there instead of an ``<img>`` that points at a file.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

ImageBlock = Callable[[str, str], str]  # (src, alt) -> HTML for an image alone in its paragraph

_INLINE = re.compile(
    r"(?P<ticks>`+)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)"  # a code span
    r"|\\(?P<esc>[\\`*_{}\[\]()#+\-.!|<>~])"  # a backslash escape
    r"|(?P<bang>!?)\[(?P<text>(?:\\.|`[^`]*`|[^\]\\`])*)\]\((?P<href>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)",  # link, image
    re.S,
)
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S)
# emphasis never spans a tag, so that ``**a *b***`` cannot interleave <strong> and <em>
_EM_STAR = re.compile(r"\*(?=\S)([^<>]+?)(?<=\S)\*")
_EM_UNDER = re.compile(r"(?<![\w\x00])_(?=\S)([^<>]+?)(?<=\S)_(?![\w\x00])")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s{0,3}(?:([-*+])|(\d{1,9})[.)])\s+(.*)$")
_DELIM_CELL = re.compile(r"^\s*(:?)-+(:?)\s*$")
_RULE = re.compile(r"^\s{0,3}(?:-{3,}|\*{3,}|_{3,})\s*$")


def inline(text: str) -> str:
    """Render inline Markdown (code, escapes, links, images, emphasis) as HTML; everything else escaped."""
    saved: list[str] = []

    def keep(m: re.Match[str]) -> str:
        if m.group("ticks"):
            fragment = f"<code>{html.escape(m.group('code').strip())}</code>"
        elif m.group("esc"):
            fragment = html.escape(m.group("esc"))
        elif m.group("bang"):
            fragment = f'<img src="{html.escape(_plain(m.group("href")))}" alt="{html.escape(_plain(m.group("text")))}">'
        else:
            fragment = f'<a href="{html.escape(_plain(m.group("href")))}">{inline(m.group("text"))}</a>'
        saved.append(fragment)
        return f"\x00{len(saved) - 1}\x00"

    text = html.escape(_INLINE.sub(keep, text), quote=False)
    text = _STRONG.sub(r"<strong>\1</strong>", text)
    text = _EM_STAR.sub(r"<em>\1</em>", text)
    text = _EM_UNDER.sub(r"<em>\1</em>", text)
    return re.sub("\x00(\\d+)\x00", lambda m: saved[int(m.group(1))], text)


def _plain(text: str) -> str:
    """Markdown source as plain text (an image's alt, a link's target): escapes resolved, code ticks dropped."""
    return re.sub(r"\\(.)", r"\1", text.replace("`", ""))


def split_row(line: str) -> list[str]:
    """The cells of a pipe-table row (``\\|`` is a literal pipe, as in GitHub's tables)."""
    line = line.strip()
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)]


def _table(lines: list[str]) -> str:
    head = split_row(lines[0])
    aligns = []
    for cell in split_row(lines[1]):
        m = _DELIM_CELL.match(cell)
        left, right = (m.group(1), m.group(2)) if m else ("", "")
        aligns.append("center" if left and right else "right" if right else "left" if left else "")

    def row(cells: list[str], tag: str) -> str:
        cells = (cells + [""] * len(head))[: len(head)]  # GitHub pads short rows and drops extra cells
        out = []
        for cell, align in zip(cells, aligns + [""] * len(head), strict=False):
            style = f' style="text-align:{align}"' if align else ""
            out.append(f"<{tag}{style}>{inline(cell)}</{tag}>")
        return "<tr>" + "".join(out) + "</tr>"

    body = "\n".join(row(split_row(line), "td") for line in lines[2:])
    return f'<div class="table"><table>\n<thead>{row(head, "th")}</thead>\n<tbody>\n{body}\n</tbody>\n</table></div>'


def _is_table_start(lines: list[str], i: int) -> bool:
    if i + 1 >= len(lines) or "|" not in lines[i]:
        return False
    delims = split_row(lines[i + 1])
    return "-" in lines[i + 1] and all(_DELIM_CELL.match(c) for c in delims) and len(delims) == len(split_row(lines[i]))


def _starts_block(lines: list[str], i: int) -> bool:
    line = lines[i]
    return bool(
        not line.strip()
        or _HEADING.match(line)
        or _ITEM.match(line)
        or _RULE.match(line)
        or line.lstrip().startswith(("```", ">"))
        or _is_table_start(lines, i)
    )


def slug(text: str) -> str:
    """A heading's anchor, as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"[^\w\- ]", "", html.unescape(text).lower(), flags=re.U)
    return text.strip().replace(" ", "-")


def to_html(markdown: str, image_block: ImageBlock | None = None) -> str:
    """Render ``markdown`` (the subset described in the module docstring) as an HTML fragment.

    ``image_block(src, alt)`` renders an image that is alone in its paragraph (a chart); headings
    get GitHub's anchors as ``id`` so that in-page links keep working.
    """
    lines = markdown.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    ids: dict[str, int] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif m := _HEADING.match(line):
            level, body = len(m.group(1)), inline(m.group(2))
            anchor = slug(body)
            ids[anchor] = ids.get(anchor, -1) + 1
            anchor += f"-{ids[anchor]}" if ids[anchor] else ""
            out.append(f'<h{level} id="{html.escape(anchor)}">{body}</h{level}>')
            i += 1
        elif line.lstrip().startswith("```"):
            fence, code = line.lstrip()[:3], []
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith(fence):
                code.append(lines[i])
                i += 1
            out.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>")
            i += 1
        elif _RULE.match(line):
            out.append("<hr>")
            i += 1
        elif _is_table_start(lines, i):
            start = i
            i += 2
            while i < len(lines) and lines[i].strip() and "|" in lines[i]:
                i += 1
            out.append(_table(lines[start:i]))
        elif line.lstrip().startswith(">"):
            quoted = []
            while i < len(lines) and lines[i].lstrip().startswith(">"):
                quoted.append(re.sub(r"^\s*>\s?", "", lines[i]))
                i += 1
            out.append(f"<blockquote>\n{to_html(chr(10).join(quoted), image_block)}\n</blockquote>")
        elif _ITEM.match(line):
            i = _list(lines, i, out)
        else:
            para = [line.strip()]
            i += 1
            while i < len(lines) and not _starts_block(lines, i):
                para.append(lines[i].strip())
                i += 1
            out.append(_paragraph(" ".join(para), image_block))
    return "\n".join(out) + "\n"


def _list(lines: list[str], i: int, out: list[str]) -> int:
    ordered = _ITEM.match(lines[i]).group(2) is not None  # type: ignore[union-attr]
    items: list[str] = []
    while i < len(lines):
        m = _ITEM.match(lines[i])
        if m and (m.group(2) is not None) == ordered:
            items.append(m.group(3).strip())
        elif lines[i].strip() and items and (lines[i].startswith((" ", "\t")) or not _starts_block(lines, i)):
            items[-1] += " " + lines[i].strip()  # a continuation line of the last item
        else:
            break
        i += 1
    tag = "ol" if ordered else "ul"
    out.append(f"<{tag}>\n" + "\n".join(f"<li>{inline(item)}</li>" for item in items) + f"\n</{tag}>")
    return i


def _paragraph(text: str, image_block: ImageBlock | None) -> str:
    m = _INLINE.fullmatch(text)
    if m and m.group("bang") and image_block is not None:
        return image_block(_plain(m.group("href")), _plain(m.group("text")))
    return f"<p>{inline(text)}</p>"
