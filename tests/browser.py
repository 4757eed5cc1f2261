"""Render an HTML file in a real headless browser and report, per chart, whether it is displayed.

``find_browser()`` looks for a Chromium or Chrome on PATH that runs; ``chart_check(html_path)`` copies the page,
injects :data:`CHECK_SCRIPT`, renders it with ``--dump-dom`` (network blocked, virtual time so
that image decoding finishes) and returns what the script recorded in the DOM: for each ``<img>``
and top-level ``<svg>``, its box on the page, whether it loaded (an ``<img>``: complete with
``naturalWidth > 0``) and the share of non-white pixels when it is drawn on a canvas (an empty or
fully clipped chart has none), plus every resource the page fetched.  A chart counts as displayed
(:func:`displayed`) when its box is not empty, it and its ancestors are visible and opaque, it
loaded, and it draws something.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
MIN_INK = 0.002  # share of non-white pixels below which a chart counts as blank

CHECK_SCRIPT = """
<script>
async function inkShare(src, w, h) {
  const img = new Image();
  img.src = src;
  try { await img.decode(); } catch (e) { return -1; }
  const c = document.createElement("canvas");
  c.width = Math.max(1, Math.round(w)); c.height = Math.max(1, Math.round(h));
  const ctx = c.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, c.width, c.height);
  ctx.drawImage(img, 0, 0, c.width, c.height);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 230 || d[i + 1] < 230 || d[i + 2] < 230) ink++;
  return ink / (c.width * c.height);
}
window.addEventListener("load", async () => {
  const charts = [];
  try {
    for (const el of document.querySelectorAll("img, svg")) {
      if (el.parentElement.closest("svg")) continue;
      const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
      let opacity = 1;
      for (let a = el; a; a = a.parentElement) opacity *= parseFloat(getComputedStyle(a).opacity);
      const rec = {chart: el.closest("[data-chart]") ? el.closest("[data-chart]").dataset.chart : null,
                   tag: el.tagName.toLowerCase(), width: r.width, height: r.height, opacity: opacity,
                   visible: cs.display !== "none" && cs.visibility === "visible" && opacity > 0.5
                            && r.width > 0 && r.height > 0};
      let src;
      if (rec.tag === "img") { rec.loaded = el.complete && el.naturalWidth > 0; src = el.currentSrc || el.src; }
      else {
        rec.loaded = el.childElementCount > 0;
        const xml = new XMLSerializer().serializeToString(el);
        src = "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(xml)));
      }
      rec.ink = rec.loaded && rec.visible ? await inkShare(src, r.width, r.height) : 0;
      charts.push(rec);
    }
  } catch (e) { charts.push({error: String(e)}); }
  const pre = document.createElement("pre");
  pre.id = "detgrad-check";
  pre.textContent = JSON.stringify({charts, resources: performance.getEntriesByType("resource").map(e => e.name)});
  document.body.appendChild(pre);
});
</script>
"""


def find_browser() -> tuple[str | None, str]:
    """The first Chromium/Chrome on PATH that runs (``--version``), or None and why not (a skip reason)."""
    found = [path for name in BROWSERS if (path := shutil.which(name))]
    for path in found:
        try:
            done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return path, ""
    if found:  # e.g. Ubuntu's chromium-browser, a stub asking for the snap
        return None, f"{', '.join(found)} on PATH but none runs (--version fails)"
    return None, f"no Chromium or Chrome on PATH ({', '.join(BROWSERS)}); .ci/run installs one"


def chart_check(html_path: Path, browser: str, extra_html: str = "", timeout: float = 180.0) -> dict[str, Any]:
    """Render a copy of ``html_path`` (plus ``extra_html`` at the end of its body) and return the check's record."""
    page = html_path.read_text(encoding="utf-8")
    page = page.replace("</body>", extra_html + CHECK_SCRIPT + "</body>", 1)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "page.html"
        copy.write_text(page, encoding="utf-8")
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--proxy-server=127.0.0.1:9",  # the page must need no network: block it
            "--window-size=1280,900",
            "--virtual-time-budget=60000",
            "--dump-dom",
            copy.as_uri(),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    m = re.search(r'<pre id="detgrad-check">(.*?)</pre>', done.stdout, re.S)
    if not m:
        raise RuntimeError(f"{browser} left no check result (exit {done.returncode}): {done.stderr[-2000:]}")
    return json.loads(html.unescape(m.group(1)))


def displayed(rec: dict[str, Any]) -> bool:
    """A chart is displayed when it has a visible box, loaded, and draws something (not blank)."""
    return bool(rec.get("visible") and rec.get("loaded") and rec.get("ink", 0) > MIN_INK)
