"""The README keeps its promises: the two commands, the generated methods table."""

from __future__ import annotations

import configparser
from pathlib import Path

from detgrad.cli.methods_table import BEGIN, END, methods_table

ROOT = Path(__file__).resolve().parents[1]


def test_readme_methods_table_is_current():
    text = (ROOT / "README.md").read_text()
    table = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert table == methods_table(), "run: python -m detgrad.cli.methods_table README.md"


def test_readme_opens_with_the_two_tox_commands_and_they_exist():
    text = (ROOT / "README.md").read_text()
    first_block = text.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["tox -e main", "tox -e test"]
    tox = configparser.ConfigParser()
    tox.read(ROOT / "tox.ini")
    assert "testenv:main" in tox and "testenv:test" in tox
    assert "tox -e test" in (ROOT / ".ci" / "run").read_text()


def test_readme_published_figures_are_generated_from_results():
    """Every figure in README's published-results and conformance blocks comes from results/ (no hand-copied numbers)."""
    from detgrad.cli.readme_results import render

    text = (ROOT / "README.md").read_text()
    assert "<!-- published-results:begin -->" in text and "<!-- conformance:begin -->" in text
    assert render(text, ROOT) == text, "run: python -m detgrad.cli.readme_results README.md"


def test_readme_links_resolve():
    import re

    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#]+)\)", doc.read_text()):
            if "://" not in target:
                assert (doc.parent / target).exists(), f"{doc.name}: broken link {target}"
