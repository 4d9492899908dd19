"""Headless Chromium driven over the DevTools protocol, for the graph page's tests and benchmark.

The protocol runs over a pipe (``--remote-debugging-pipe``: JSON messages, each ended by a NUL,
commands on the browser's fd 3 and replies on its fd 4), so no port is opened and nothing beyond
the standard library is needed. ``open_page`` loads a page and records every request it makes,
every console message and every exception; ``png_pixels`` reads a screenshot back as pixels.

Flags: those that keep Chromium from calling home (updates, sync, QUIC, background networking),
and ``--enable-unsafe-swiftshader``: headless with no GPU, WebGL runs on SwiftShader, which
Chromium no longer falls back to by itself (``--use-gl=swiftshader`` gives no WebGL at all here).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import struct
import subprocess
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DEBIAN_BINARY = "/usr/lib/chromium/chromium"
"""Debian's ``chromium`` is a wrapper script that adds Google API keys and remote extensions, with
which the browser calls update and sign-in servers on its own: the binary itself is run instead."""
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    if Path(DEBIAN_BINARY).is_file():
        return DEBIAN_BINARY
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


class BrowserError(RuntimeError):
    pass


class Browser:
    """One Chromium process with a fresh, empty profile; ``call`` sends a command and waits."""

    def __init__(self, binary: str, profile: Path, *extra: str) -> None:
        to_browser, self._commands = os.pipe()
        self._replies, from_browser = os.pipe()

        def wire() -> None:  # in the child: the pipe ends on fds 3 and 4, as Chromium expects
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen(
            [binary, *FLAGS, *extra, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=wire,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._next = 0
        self._waiting: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.events: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._replies, 1 << 20):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                with self._lock:
                    waiter = self._waiting.pop(message["id"], None) if "id" in message else None
                    if waiter is None:
                        self.events.append(message)
                if waiter is not None:
                    waiter.put(message)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        reply: queue.Queue[dict[str, Any]] = queue.Queue()
        with self._lock:
            self._next += 1
            ident = self._next
            self._waiting[ident] = reply
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        try:
            answer = reply.get(timeout=120)
        except queue.Empty:
            raise BrowserError(f"no reply to {method} in 120 s") from None
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer["result"]
        return result

    def close(self) -> None:
        with suppress(BrowserError, OSError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        self._reader.join(timeout=5)
        os.close(self._replies)


@dataclass
class Page:
    """A loaded page: its session; what it did (requests, console, exceptions) is in the browser's events."""

    browser: Browser
    session: str

    def evaluate(self, expression: str) -> Any:
        result = self.browser.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, self.session
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float, every: float = 0.25) -> Any:
        """Evaluate ``expression`` until it is truthy; its value, or an error after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"still false after {timeout} s: {expression}")
            time.sleep(every)

    def screenshot(self, scale: float = 1.0) -> bytes:
        """A PNG of the viewport, ``scale`` times its size in CSS pixels."""
        size = self.evaluate("[innerWidth, innerHeight]")
        clip = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": scale}
        shot = self.browser.call("Page.captureScreenshot", {"format": "png", "clip": clip}, self.session)
        return base64.b64decode(shot["data"])

    def problems(self) -> list[str]:
        """Exceptions and console errors the page raised so far."""
        found = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            if event["method"] == "Runtime.exceptionThrown":
                found.append(str(event["params"]["exceptionDetails"]))
            elif event["method"] == "Log.entryAdded" and event["params"]["entry"]["level"] == "error":
                found.append(str(event["params"]["entry"]))
            elif event["method"] == "Runtime.consoleAPICalled" and event["params"]["type"] == "error":
                found.append(str(event["params"]["args"]))
        return found

    def requested(self) -> list[str]:
        """Every URL the page, or a worker it started, asked for (files and data included)."""
        return [
            event["params"]["request"]["url"]
            for event in self.browser.events
            if event["method"] == "Network.requestWillBeSent"
        ]


@contextmanager
def open_page(
    binary: str, url: str, profile: Path, *extra: str, width: int = 1280, height: int = 800
) -> Iterator[Page]:
    """``url`` loaded in a new headless Chromium (``extra`` flags) of ``width`` × ``height`` CSS
    pixels. Workers the page starts are attached too, so their requests are recorded with the page's."""
    browser = Browser(binary, profile, *extra)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(browser, session)
        for method in ("Network.enable", "Runtime.enable", "Log.enable", "Page.enable"):
            browser.call(method, session=session)
        browser.call(
            "Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": True}, session
        )
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        browser.call("Page.navigate", {"url": url}, session)
        yield page
    finally:
        browser.close()


def png_pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB pixels (3 bytes each) of an 8-bit, non-interlaced RGB or
    RGBA PNG (what Chromium's screenshots are)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks, at = {}, 8
    while at < len(png):
        (length,), kind = struct.unpack(">I", png[at : at + 4]), png[at + 4 : at + 8]
        chunks.setdefault(kind, []).append(png[at + 8 : at + 8 + length])
        at += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    channels = 4 if colour == 6 else 3
    raw = zlib.decompress(b"".join(chunks[b"IDAT"]))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind_of_filter, row = line[0], bytearray(line[1:])
        for x in range(stride):
            left = row[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind_of_filter == 1:
                row[x] = (row[x] + left) & 0xFF
            elif kind_of_filter == 2:
                row[x] = (row[x] + up) & 0xFF
            elif kind_of_filter == 3:
                row[x] = (row[x] + (left + up) // 2) & 0xFF
            elif kind_of_filter == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                row[x] = (row[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        previous = row
        rgb = row if channels == 3 else bytes(b for i, b in enumerate(row) if i % 4 != 3)
        rows.append(bytes(rgb))
    return width, height, rows
