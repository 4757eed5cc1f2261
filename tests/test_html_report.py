"""detgrad report --html: one self-contained file, every chart inline, and displayed in a real browser."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import pytest
from browser import chart_check, displayed, find_browser
from synthetic import demo_cells, header, write_run

from detgrad.cli import main
from detgrad.errors import DetgradError
from detgrad.publish.html_report import HTML_NAME, png_img, write_html
from detgrad.publish.markdown import inline, to_html

CPU = "<b>Synthetic</b> CPU 9000"  # markup in a run file must arrive as text


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A report with charts (PNG + SVG) and report.html, built once from a small synthetic run."""
    tmp = tmp_path_factory.mktemp("html")
    cells = demo_cells(ns=(4, 16, 64), batches=(1, 16), dtypes=("float64",), modes=("graph", "xla"))
    run = write_run(tmp / "run.jsonl", header(cpu=CPU), cells)
    check = tmp / "check.md"
    check.write_text("| case | lu |\n|---|---:|\n| rank n-1 | 2e-16 |\n| a \\| b | **WRONG 1e+00** |\n")
    out = tmp / "report"
    assert main(["report", str(run), "--out", str(out), "--check", str(check), "--html"]) == 0
    return out


class _Refs(HTMLParser):
    """Every tag and every attribute that can make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.fetched: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.links: list[str] = []  # <a href>: followed only when clicked

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if tag == "a" and name == "href":
                self.links.append(value or "")
            elif name in ("src", "srcset", "href", "xlink:href", "poster", "data", "action", "background"):
                self.fetched.append((tag, name, value or ""))


def test_html_has_no_network_reference(report):
    page = (report / HTML_NAME).read_text()
    refs = _Refs()
    refs.feed(page)
    assert not refs.tags & {"script", "link", "iframe", "object", "embed", "base", "video", "audio", "source"}
    assert all(value.startswith(("data:", "#")) for _, _, value in refs.fetched), refs.fetched
    assert all(not link.startswith("//") and (":" not in link or link.startswith(("http:", "https:"))) for link in refs.links)
    assert [link for link in refs.links if not link.startswith("#")]  # the CSV tables stay links
    no_links = re.sub(r'<a href="[^"]*"', "<a", page)
    assert not re.search(r"(?i)https?:|@import|url\((?!#)", no_links)  # nothing outside an ordinary link
    assert str(report.parent) not in page  # no machine paths


def test_every_chart_is_inline_once_and_its_references_resolve(report):
    page = (report / HTML_NAME).read_text()
    stems = sorted(p.stem for p in (report / "charts").glob("*.svg"))
    assert len(stems) >= 5
    assert sorted(re.findall(r'<figure class="chart" id="chart-[^"]+" data-chart="([^"]+)">\n<svg ', page)) == stems
    assert page.count("<svg ") == len(stems) and "<img" not in page  # the SVG, not a file link
    assert '<a href="#chart-relative_det">' in page  # shown at the top, linked in the Charts section
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "duplicate ids"
    refs = set(re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', page))
    assert {r for pair in refs for r in pair if r} <= set(ids)
    assert "<?xml" not in page and "<metadata" not in page and "DOCTYPE svg" not in page


def test_tables_headings_and_text_become_html(report):
    readme = (report / "README.md").read_text()
    page = (report / HTML_NAME).read_text()
    delimiter_rows = [line for line in readme.splitlines() if re.fullmatch(r"\|(:?-+:?\|)+", line)]
    assert page.count("<table>") == len(delimiter_rows) >= 4
    for title in re.findall(r"^## (.+)$", readme, re.M):
        assert re.search(rf"<h2 id=\"[^\"]+\">{re.escape(inline(title))}</h2>", page), title
    assert '<td style="text-align:right"><strong>WRONG 1e+00</strong></td>' in page
    assert "<td>a | b</td>" in page  # an escaped pipe stays in its cell
    assert "&lt;b&gt;Synthetic&lt;/b&gt; CPU 9000" in page and "<b>Synthetic" not in page
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "<title>detgrad benchmark report</title>" in page


def test_png_charts_are_inlined_when_there_is_no_svg(report, tmp_path):
    copy = tmp_path / "report"
    shutil.copytree(report, copy)
    for svg in (copy / "charts").glob("*.svg"):
        svg.unlink()
    page = write_html(copy / "README.md").read_text()
    pngs = list((copy / "charts").glob("*.png"))
    assert page.count('<img src="data:image/png;base64,') == len(pngs) and "<svg " not in page
    data = pngs[0].read_bytes()
    assert re.search(r'width="(\d+)"', png_img(data, "x"))  # sized from the PNG's resolution (150 dpi)
    width = int.from_bytes(data[16:20], "big")
    assert f'width="{round(width * 96 / 150)}"' in png_img(data, "x")


def test_a_chart_that_cannot_be_inlined_is_a_one_line_error(tmp_path):
    (tmp_path / "README.md").write_text("# r\n\n![a chart](charts/gone.png)\n")
    with pytest.raises(DetgradError, match="no SVG or PNG of chart 'charts/gone.png'"):
        write_html(tmp_path / "README.md")
    (tmp_path / "README.md").write_text("# r\n\n![remote](https://example.org/a.png)\n")
    with pytest.raises(DetgradError, match="only charts inside the report directory"):
        write_html(tmp_path / "README.md")


@pytest.mark.parametrize(
    "markdown, expected",
    [
        ("`a*b*` and *em* and **strong**", "<code>a*b*</code> and <em>em</em> and <strong>strong</strong>"),
        ("time_vs_n_det and _(no rows)_", "time_vs_n_det and <em>(no rows)</em>"),
        ("[`tables/x.csv`](tables/x.csv)", '<a href="tables/x.csv"><code>tables/x.csv</code></a>'),
        ("2 * 3 * 4 < 5 & \\*x\\*", "2 * 3 * 4 &lt; 5 &amp; *x*"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("**a *b***", "<strong>a *b</strong>*"),  # never interleaved tags
    ],
)
def test_inline_markdown(markdown, expected):
    assert inline(markdown) == expected


def test_block_markdown():
    md = "## A b\n\ntext\nmore\n\n- one\n  two\n- three\n\n1. x\n\n| n | t |\n|---|---:|\n| 4 | 1 |\n| 5 |\n\n```\n<x>\n```\n"
    assert to_html(md) == (
        '<h2 id="a-b">A b</h2>\n<p>text more</p>\n<ul>\n<li>one two</li>\n<li>three</li>\n</ul>\n<ol>\n<li>x</li>\n</ol>\n'
        '<div class="table"><table>\n<thead><tr><th>n</th><th style="text-align:right">t</th></tr></thead>\n<tbody>\n'
        '<tr><td>4</td><td style="text-align:right">1</td></tr>\n<tr><td>5</td><td style="text-align:right"></td></tr>\n'
        "</tbody>\n</table></div>\n<pre><code>&lt;x&gt;</code></pre>\n"
    )
    assert to_html("![c](charts/a.png)\n", image_block=lambda src, alt: f"[{src}|{alt}]") == "[charts/a.png|c]\n"


BROKEN = (  # controls: each must be caught, or the browser check proves nothing
    '<figure class="chart" data-chart="broken-png"><img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA" alt="">'
    "</figure>"
    '<figure class="chart" data-chart="blank-svg"><svg width="200" height="100" viewBox="0 0 200 100">'
    '<rect width="200" height="100" fill="#fff"/></svg></figure>'
    '<figure class="chart" data-chart="hidden-svg" style="display:none"><svg width="200" height="100">'
    '<rect width="200" height="100" fill="#000"/></svg></figure>'
    '<figure class="chart" data-chart="transparent-svg" style="opacity:0"><svg width="200" height="100">'
    '<rect width="200" height="100" fill="#000"/></svg></figure>'
)
CONTROLS = {"broken-png", "blank-svg", "hidden-svg", "transparent-svg"}


def test_every_chart_is_displayed_in_a_real_browser(request):
    browser, why_not = find_browser()
    if browser is None:
        pytest.skip(why_not)
    report = request.getfixturevalue("report")
    result = chart_check(report / HTML_NAME, browser, extra_html=BROKEN)
    charts = {rec["chart"]: rec for rec in result["charts"]}
    assert len(charts) == len(result["charts"]), result["charts"]  # one element per chart, no stray image
    stems = {p.stem for p in (report / "charts").glob("*.svg")}
    assert set(charts) == stems | CONTROLS
    not_shown = {name for name, rec in charts.items() if not displayed(rec)}
    assert not_shown == CONTROLS, {name: charts[name] for name in not_shown}
    assert not [url for url in result["resources"] if not url.startswith("data:")]  # nothing fetched
