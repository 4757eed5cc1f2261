"""The report as one self-contained HTML file: ``DIR/README.md`` rendered, every chart inline.

``write_html(DIR/README.md)`` writes ``DIR/report.html``: the same text and tables (rendered by
:mod:`detgrad.publish.markdown`), each chart embedded where the README shows it, a small inline
style sheet, and nothing the browser has to fetch: no script, no font, no style sheet, no image
file.  A chart is inlined as its SVG (vector, and about half the size of the PNG as base64), or
as the PNG in a ``data:`` URI when the report has no SVG.  Links to files in the report's
directory (the CSV tables, the chart files) stay relative links: they work next to the report
directory and are the only thing a copy sent alone cannot open.

Never imports TensorFlow.
"""

from __future__ import annotations

import base64
import html
import re
import struct
from pathlib import Path

from detgrad.errors import DetgradError
from detgrad.publish.markdown import to_html

HTML_NAME = "report.html"
CHART_FORMATS = ("svg", "png")  # what can be inlined, in order of preference

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 8px 24px 24px; }
h1, h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .25em; }
h2, h3 { margin-top: 1.6em; }
a { color: #0969da; }
code { font: 85% ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eff1f3; padding: .1em .35em;
       border-radius: 4px; }
pre { background: #f6f8fa; padding: 12px; overflow: auto; }
pre code { background: none; padding: 0; }
blockquote { margin: 0; padding: 0 1em; color: #59636e; border-left: .25em solid #d1d9e0; }
.table { overflow-x: auto; margin: 1em 0; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d1d9e0; padding: 3px 8px; vertical-align: top; }
th { background: #f0f2f4; }
tbody tr:nth-child(even) { background: #f6f8fa; }
tbody tr:hover { background: #fff8c5; }
figure.chart { margin: 1em 0; }
figure.chart > svg, figure.chart > img { display: block; max-width: 100%; height: auto; }
footer { color: #59636e; font-size: 13px; border-top: 1px solid #d1d9e0; margin-top: 2em; padding-top: .5em; }
@media print { figure.chart, tr { break-inside: avoid; } tbody tr:hover { background: none; } }
"""

FOOTER = (
    "One-file copy of this directory's <code>README.md</code> (written by <code>detgrad report --html</code>): "
    "the charts are inline; the links to <code>tables/</code> and <code>charts/</code> open files of the report "
    "directory, next to which this file was written."
)


def inline_svg(svg: str, prefix: str, label: str) -> str:
    """Matplotlib's SVG file as an ``<svg>`` element for an HTML page.

    Drops the XML prolog, DOCTYPE, metadata and namespace declarations (an HTML parser sets the
    namespaces; none of them is fetched either way), drops the ids nothing refers to (matplotlib
    names every group, ``figure_1``, ``axes_1``..., the same in every file) and prefixes the others
    and the references to them with ``prefix``, so that two charts on one page never share an id.
    """
    svg = re.sub(r"<\?xml.*?\?>|<!DOCTYPE[^>]*>|<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", svg)
    used = set(re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', svg))
    used = {name for pair in used for name in pair if name}
    svg = re.sub(r'\s+id="([^"]+)"', lambda m: f' id="{prefix}{m.group(1)}"' if m.group(1) in used else "", svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    svg = re.sub(r'((?:xlink:)?href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', svg)
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("not an SVG document")
    attrs = f' role="img" aria-label="{html.escape(label)}"'
    return svg[start : start + 4] + attrs + svg[start + 4 :].rstrip()


def png_img(data: bytes, label: str) -> str:
    """A PNG as an ``<img>`` with a ``data:`` URI, sized to its resolution (as the SVG would be)."""
    width = height = 0
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
    dpi = 96.0
    phys = data.find(b"pHYs")
    if phys > 0:
        per_unit, _, unit = struct.unpack(">IIB", data[phys + 4 : phys + 13])
        dpi = per_unit * 0.0254 if unit == 1 and per_unit else dpi
    size = f' width="{round(width * 96 / dpi)}" height="{round(height * 96 / dpi)}"' if width else ""
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return f'<img src="{uri}" alt="{html.escape(label)}"{size}>'


class _Charts:
    """The ``image_block`` for :func:`~detgrad.publish.markdown.to_html`: inlines each chart of ``root`` once."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.shown: set[str] = set()

    def __call__(self, src: str, alt: str) -> str:
        path = (self.root / src).resolve()
        if "://" in src or src.startswith(("/", "data:")) or not path.is_relative_to(self.root):
            raise DetgradError(f"{HTML_NAME}: cannot inline image {src!r}: only charts inside the report directory")
        name = path.relative_to(self.root).with_suffix("").as_posix().removeprefix("charts/")
        stem = re.sub(r"[^\w-]", "-", name)
        anchor = f"chart-{stem}"
        if stem in self.shown:  # the answer's charts come back in the Charts section: link, do not copy
            return f'<p class="chart-ref"><a href="#{anchor}">{html.escape(alt)}: the chart is shown above</a></p>'
        for fmt in CHART_FORMATS:
            found = path.with_suffix(f".{fmt}")
            if found.is_file():
                break
        else:
            raise DetgradError(
                f"{HTML_NAME}: no SVG or PNG of chart {src!r} to inline; write the report with --format svg (or png)"
            )
        if fmt == "svg":
            element = inline_svg(found.read_text(encoding="utf-8"), f"c{len(self.shown)}-", alt)
        else:
            element = png_img(found.read_bytes(), alt)
        self.shown.add(stem)
        return f'<figure class="chart" id="{anchor}" data-chart="{html.escape(stem)}">\n{element}\n</figure>'


def write_html(readme: str | Path, out: str | Path | None = None) -> Path:
    """Render the report ``readme`` (``DIR/README.md``) as one self-contained HTML file; returns its path.

    The file goes to ``out`` (default ``DIR/report.html``).  Each image alone in its paragraph is a
    chart of the report and is inlined (SVG preferred, else PNG); raises :class:`DetgradError` when
    one cannot be (no SVG or PNG beside it, or a path outside the report directory).
    """
    readme = Path(readme)
    try:
        markdown = readme.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DetgradError(f"{readme}: cannot read the report ({type(exc).__name__})") from None
    body = to_html(markdown, image_block=_Charts(readme.parent))
    left = re.findall(r'<img src="(?!data:)([^"]*)"', body)  # an image inside running text: not a chart
    if left:
        raise DetgradError(f"{HTML_NAME}: cannot inline image {left[0]!r}: only charts on a line of their own")
    title = next((line[2:].strip() for line in markdown.splitlines() if line.startswith("# ")), "detgrad report")
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}<footer>{FOOTER}</footer>\n</main>\n</body>\n</html>\n"
    )
    path = Path(out) if out is not None else readme.with_name(HTML_NAME)
    path.write_text(page, encoding="utf-8")
    return path
