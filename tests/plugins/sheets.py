"""pytest plugin: our local Google Sheets API emulator (``tests/sheets_emulator.py``).

Load it with ``pytest_plugins = ["tests.plugins.sheets"]`` (or ``pytest -p tests.plugins.sheets``).

A server starts in milliseconds, so every test gets its own, with fresh state. Fixtures:

* ``sheets_api``: the running :class:`SheetsEmulator`, nothing else touched: a register reaches it
  because the test passes it in (``SheetsSettings(api_url=emulator.base_url)``).
* ``sheets_emulator``: the same, and for the test's duration gspread's ``*_URL`` names point at it
  (undone afterwards), for code that builds its own client: ``dip`` run from a dip.toml, or a
  plain gspread client.
* ``sheets_account``: a :class:`ServiceAccount` the emulator accepts (``.email``, and ``.path``,
  its JSON key file, whose ``token_uri`` is the emulator).
* ``sheets_spreadsheet``: the id of an empty spreadsheet (one tab, "Sheet1") shared with it.
* ``gspread_client``: a real ``gspread.Client`` for that account, through google-auth's real
  service-account flow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gspread
import pytest

from tests.sheets_emulator import ServiceAccount, SheetsEmulator


@pytest.fixture
def sheets_api() -> Iterator[SheetsEmulator]:
    with SheetsEmulator() as emulator:
        yield emulator


@pytest.fixture
def sheets_emulator(sheets_api: SheetsEmulator) -> Iterator[SheetsEmulator]:
    with sheets_api.redirect_gspread():
        yield sheets_api


@pytest.fixture
def sheets_account(sheets_emulator: SheetsEmulator, tmp_path: Path) -> ServiceAccount:
    return sheets_emulator.service_account(tmp_path)


@pytest.fixture
def sheets_spreadsheet(sheets_emulator: SheetsEmulator, sheets_account: ServiceAccount) -> str:
    return sheets_emulator.create_spreadsheet(shared_with=[sheets_account.email])


@pytest.fixture
def gspread_client(sheets_emulator: SheetsEmulator,
                   sheets_account: ServiceAccount) -> gspread.Client:
    return sheets_emulator.gspread_client(sheets_account)
