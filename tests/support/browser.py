"""Headless Chromium for the HTML report tests: import as ``support.browser``.

Debian's /usr/bin/chromium is driven through playwright (no browser download). ``browser_context``
yields a persistent context, or skips with the reason when chromium or the playwright package is
absent. :class:`Page` loads a report and records script errors, console errors, Content-Security-
Policy violations and every request that is not to a file; ``close()`` asserts there were none.
``png_pixels`` decodes a screenshot (8-bit RGB or RGBA, as Chromium writes them) without Pillow;
``embedded_data`` reads the JSON a report page carries.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Runs before the page's own script: a CSP violation is an event, not always a console message.
RECORD_CSP = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation', function (e) {"
    " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });"
)


@contextmanager
def browser_context(profile: Path) -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield context
        finally:
            context.close()


class Page:
    """A loaded report page that records script errors, CSP violations and every non-file request."""

    def __init__(self, context: Any, path: Path, fragment: str = "", viewport: dict[str, int] | None = None) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = context.new_page()
        if viewport:
            self.page.set_viewport_size(viewport)
        self.page.add_init_script(RECORD_CSP)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on(
            "request", lambda req: None if req.url.startswith(("file:", "data:")) else self.requests.append(req.url)
        )
        self.page.on("dialog", lambda dialog: self.errors.append(f"dialog: {dialog.message}"))
        self.cdp = self.page.context.new_cdp_session(self.page)
        self.cdp.send("Performance.enable")
        self.page.goto(path.as_uri() + fragment)
        self.page.wait_for_selector("body[data-ready=true]")

    def main_thread_cpu_ms(self) -> float:
        """CPU time of the page's main thread since it was opened (Chromium's ThreadTime metric):
        unlike wall time, a loaded test machine does not inflate it."""
        metrics = {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}
        return float(metrics["ThreadTime"]) * 1000

    def shown(self) -> int:
        return int(self.page.get_attribute("body", "data-shown"))

    def rows(self) -> list[dict[str, str]]:
        rows = self.page.locator("#findings-body tr.row")
        return [
            {"status": rows.nth(i).get_attribute("data-status"), "severity": rows.nth(i).get_attribute("data-severity")}
            for i in range(rows.count())
        ]

    def select(self, selector: str, value: str) -> None:
        self.page.select_option(selector, value)

    def close(self) -> None:
        assert not self.errors, self.errors
        assert not self.requests, f"the page tried the network: {self.requests}"
        assert self.page.evaluate("window.__csp") == [], "Content-Security-Policy violations"
        self.page.close()


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows of an 8-bit, non-interlaced RGB/RGBA PNG, as bytes per row."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,), chunk = struct.unpack(">I", data[pos : pos + 4]), data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if chunk == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
            channels = 3 if color == 2 else 4
        elif chunk == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows = zlib.decompress(idat), width * channels, []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = prev[x], prev[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def embedded_data(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="cspm-data">(.*?)</script>', html, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data
