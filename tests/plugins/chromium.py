"""pytest plugin: Debian's headless Chromium, driven over the DevTools protocol, for the page tests.

Loaded by ``tests/conftest.py`` (``pytest_plugins``). Chromium is driven on a pipe
(``--remote-debugging-pipe``: commands in on fd 3, replies out on fd 4, NUL-separated JSON), so the
tests need no extra package and open no port. Fixture:

* ``browser`` (module): one :class:`Chromium` with one page, closed after the module's tests. A
  module that needs more (e.g. ``pdftotext``) overrides it by a fixture of the same name that takes
  this one.
* ``playwright_chromium`` (module): the same Chromium launched by Playwright for Python (for
  axe-core); skipped where Playwright is not installed. No browser is downloaded.

Screenshots go to ``test-artifacts/`` (:data:`ARTIFACTS`) for a person to look at.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe")
TIMEOUT = 15.0


def chromium() -> str:
    """Debian's chromium; missing is a failure in CI (where the script installs it), a skip elsewhere."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        reason = "chromium tidak terpasang (apt-get install chromium); uji peramban dilewati"
        if os.environ.get("CI"):
            pytest.fail(reason.replace("dilewati", "wajib di CI"))
        pytest.skip(reason)
    return found


def _above_nine(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Chromium:
    """One headless browser and one page in it, spoken to over the DevTools pipe."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()
        # bash moves the browser's pipe ends onto fds 3 and 4 before exec; they are first put above 9
        # so that neither redirection can overwrite the other (dash only takes one-digit fds)
        to_browser, from_browser = (_above_nine(fd) for fd in (to_browser, from_browser))
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser}', executable, *FLAGS,
             f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(to_browser, from_browser), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Network"):
            self.call(f"{domain}.enable")

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise TimeoutError("Chromium tidak menjawab")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise ConnectionError("Chromium berhenti")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        command: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if self.session:
            command["sessionId"] = self.session
        os.write(self._write, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self._message(deadline)
            if message.get("id") == self._next:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def wait_for(self, event: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not any(e.get("method") == event for e in self.events):
            self.events.append(self._message(deadline))
        self.events = [e for e in self.events if e.get("method") != event]

    def js(self, expression: str) -> Any:
        reply = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def open(self, url: str, width: int = 1280, height: int = 900, mobile: bool = False) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)
        self.call("Page.navigate", url="about:blank")
        self.wait_for("Page.loadEventFired")
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def shown(self) -> list[str]:
        """IDs of the item rows a visitor can see."""
        result: list[str] = self.js(
            "[...document.querySelectorAll('tr[data-tahun]')]"
            ".filter(r => r.getClientRects().length > 0).map(r => r.id)")
        return result

    def screenshot(self, name: str, height: int = 0) -> None:
        """The viewport, or the top ``height`` pixels of the whole page (to see the rows too)."""
        options: dict[str, Any] = {}
        if height:
            width = self.js("document.documentElement.clientWidth")
            options = {"captureBeyondViewport": True,
                       "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}
        data = self.call("Page.captureScreenshot", format="png", **options)["data"]
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / name).write_bytes(base64.b64decode(data))

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        os.close(self._write)
        os.close(self._read)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    chrome = Chromium(chromium(), tmp_path_factory.mktemp("profil"))
    yield chrome
    chrome.close()


@pytest.fixture(scope="module")
def playwright_chromium() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(),
                                              args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()
