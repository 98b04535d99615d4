"""The published page in a real browser: Debian's headless Chromium, offline, desktop and phone.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: commands in on
fd 3, replies out on fd 4, NUL-separated JSON), so the test needs no extra package and opens no port.
Screenshots go to ``test-artifacts/`` for a person to look at.
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

from dip_sheets import schema as s
from dip_sheets.config import DEFAULT_UNITS
from dip_sheets.history import PastVersion
from dip_sheets.render import Version, render_site
from tests.test_render import EXCLUDED, OFFICE, item, version

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
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


ITEMS = [
    item(1, "Laporan Harta Kekayaan Penyelenggara Negara (LHKPN) Ketua", category="Berkala"),
    item(2, "Ringkasan LHKPN Anggota", category="Setiap Saat", year=2024, created="2024"),
    item(3, "Peringatan Dini Banjir di Gudang Logistik", category="Serta Merta"),
    *(item(n) for n in range(4, 61)),
]


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("situs")
    earlier = Version("20260101-080000", "2026-01-01T08:00:00+07:00", "1 Januari 2026", "1/PPID/2026")
    before = render_site([*ITEMS[5:], item(99)], [], OFFICE, earlier)["dip.json"]
    files = render_site(ITEMS, [EXCLUDED], OFFICE, version(), history=[PastVersion.from_dip_json(before)])
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return (folder / "index.html").as_uri()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    chrome = Chromium(chromium(), tmp_path_factory.mktemp("profil"))
    yield chrome
    chrome.close()


def expected(predicate: Any) -> list[str]:
    return [i.id for i in ITEMS if predicate(i)]


def test_typing_in_the_search_box_narrows_the_table(browser: Chromium, page_url: str) -> None:
    browser.open(page_url)
    everything = browser.shown()
    assert sorted(everything) == sorted(i.id for i in ITEMS)
    assert browser.js("document.getElementById('saring').hidden") is False
    browser.js("document.getElementById('cari').focus()")
    browser.call("Input.insertText", text="lhkpn")
    assert sorted(browser.shown()) == ["DIP-0001", "DIP-0002"]
    assert browser.js("document.getElementById('hasil').textContent") == \
        f"Menampilkan 2 dari {len(ITEMS)} informasi."
    assert browser.js("location.hash") == "#cari=lhkpn"  # the search is a shareable link
    browser.call("Input.insertText", text=" ketua")  # every word must match
    assert browser.shown() == ["DIP-0001"]
    browser.call("Input.insertText", text=" tidakada")
    assert browser.shown() == []
    assert browser.js("getComputedStyle(document.getElementById('nihil')).display") != "none"
    browser.screenshot("dip-desktop-cari-kosong.png")
    browser.js("document.querySelector('#nihil button').click()")
    assert len(browser.shown()) == len(ITEMS)
    browser.screenshot("dip-desktop.png")


def test_filters_narrow_by_category_unit_year_and_form(browser: Chromium, page_url: str) -> None:
    browser.open(page_url)

    def choose(name: str, value: str) -> list[str]:
        browser.js(f"var e = document.getElementById('{name}'); e.value = {json.dumps(value)};"
                   " e.dispatchEvent(new Event('change', {bubbles: true}))")
        return sorted(browser.shown())

    assert choose("kategori", "Serta Merta") == expected(lambda i: i.category == "Serta Merta")
    assert browser.js("getComputedStyle(document.getElementById('berkala')).display") == "none"
    choose("kategori", "")
    unit = DEFAULT_UNITS[2]
    assert choose("unit", unit) == sorted(expected(lambda i: i.unit == unit))
    choose("unit", "")
    assert choose("tahun", "2024") == sorted(expected(lambda i: i.year == 2024))
    choose("tahun", "")
    soft = choose("bentuk", "Softcopy")
    assert soft == sorted(expected(lambda i: "Softcopy" in i.form))
    assert 0 < len(soft) < len(ITEMS)
    both = choose("kategori", "Berkala")
    assert both == sorted(expected(lambda i: "Softcopy" in i.form and i.category == "Berkala"))
    assert "bentuk=Softcopy" in browser.js("location.hash")


def test_a_shared_link_opens_with_the_search_applied(browser: Chromium, page_url: str) -> None:
    browser.open(page_url + "#cari=lhkpn&kategori=Setiap+Saat")
    assert browser.js("document.getElementById('cari').value") == "lhkpn"
    assert browser.js("document.getElementById('kategori').value") == "Setiap Saat"
    assert browser.shown() == ["DIP-0002"]
    browser.open(page_url + "#DIP-0003")  # an ordinary anchor is not a search
    assert len(browser.shown()) == len(ITEMS)


def test_phone_width_has_no_sideways_scrolling(browser: Chromium, page_url: str) -> None:
    browser.open(page_url, width=390, height=844, mobile=True)
    assert browser.js("document.documentElement.scrollWidth") <= 390
    label = browser.js("getComputedStyle(document.querySelector('tr[data-tahun] td:nth-child(3)'),"
                       " '::before').content")
    assert label == '"Pejabat/Unit/Satker yang Menguasai Informasi"'  # the column's one label
    browser.screenshot("dip-ponsel.png", height=2600)
    browser.js("document.getElementById('cari').focus()")
    browser.call("Input.insertText", text="lhkpn")
    assert sorted(browser.shown()) == ["DIP-0001", "DIP-0002"]
    browser.screenshot("dip-ponsel-cari.png")


@pytest.mark.parametrize("name", ["dik.html", "riwayat.html"])
def test_the_other_pages_fit_a_phone(browser: Chromium, page_url: str, name: str) -> None:
    browser.open(page_url.replace("index.html", name), width=390, height=844, mobile=True)
    assert browser.js("document.documentElement.scrollWidth") <= 390
    browser.screenshot(name.replace(".html", "-ponsel.png"), height=1600)
    browser.open(page_url.replace("index.html", name))
    browser.screenshot(name.replace(".html", "-desktop.png"))


def test_without_javascript_the_whole_list_shows_and_the_controls_stay_hidden(
    browser: Chromium, page_url: str
) -> None:
    browser.call("Emulation.setScriptExecutionDisabled", value=True)
    try:
        browser.open(page_url + "#cari=lhkpn")
        assert len(browser.shown()) == len(ITEMS)
        assert browser.js("getComputedStyle(document.getElementById('saring')).display") == "none"
    finally:
        browser.call("Emulation.setScriptExecutionDisabled", value=False)


def test_print_shows_every_row_and_the_signature_but_no_controls(
    browser: Chromium, page_url: str
) -> None:
    browser.open(page_url + "#cari=lhkpn")
    assert len(browser.shown()) == 2
    browser.call("Emulation.setEmulatedMedia", media="print")
    try:
        assert len(browser.shown()) == len(ITEMS)  # the signed hardcopy is always the whole list
        assert browser.js("getComputedStyle(document.getElementById('saring')).display") == "none"
        assert browser.js("getComputedStyle(document.querySelector('.ttd')).display") == "block"
        browser.screenshot("dip-cetak.png", height=1800)
        pdf = browser.call("Page.printToPDF", preferCSSPageSize=True)["data"]
        (ARTIFACTS / "dip-cetak.pdf").write_bytes(base64.b64decode(pdf))
    finally:
        browser.call("Emulation.setEmulatedMedia", media="")


def test_the_page_requests_nothing_but_itself(browser: Chromium, page_url: str) -> None:
    browser.events.clear()
    browser.open(page_url)
    requested = [e["params"]["request"]["url"] for e in browser.events
                 if e.get("method") == "Network.requestWillBeSent"]
    assert requested and all(u.startswith(("file:", "data:", "about:")) for u in requested), requested
    assert all(s_ in browser.js("document.body.textContent") for s_ in s.CATEGORIES)
