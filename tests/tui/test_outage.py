"""The console while its PostgreSQL database is away: it says the database is unreachable,
keeps running (no traceback), and shows the data again by itself once it is back. The database
is taken away by a TCP proxy in front of the real server (``tests/tcp_proxy.py``)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

import core
from tests.tcp_proxy import TcpProxy
from tui.app import NodekeeperApp

from .pilot import drive, notes, press, shown, until

pytestmark = pytest.mark.postgresql


def _store(pg_url: str, proxy: TcpProxy) -> core.Store:
    url = proxy.url(pg_url)
    sep = "&" if "?" in url else "?"
    store = core.open_store(f"{url}{sep}connect_timeout=2", node="edge-1")
    store.containers.create("web1")
    return store


def test_the_dashboard_says_the_database_is_unreachable_and_recovers(pg_url) -> None:
    proxy = TcpProxy.for_url(pg_url)
    store = _store(pg_url, proxy)
    app = NodekeeperApp(store, refresh_every=None, dashboard_every=0.2)

    async def scenario(pilot: Pilot[None]) -> None:
        error = app.query_one("#dashboard-error", Static)
        view = app.query_one("DashboardView")
        proxy.stop_listening()
        await until(pilot, lambda: view.has_class("-error"), what="the error line")
        assert "is unreachable" in str(error.render())
        assert str(error.render()).startswith(f"dashboard: database {store.location.display}")
        proxy.listen_again()
        await until(pilot, lambda: not view.has_class("-error"), what="the error line gone")

    try:
        drive(app, scenario)
    finally:
        store.close()
        proxy.close()


def test_a_section_tells_the_outage_once_and_reads_again_when_it_is_back(pg_url) -> None:
    proxy = TcpProxy.for_url(pg_url)
    store = _store(pg_url, proxy)
    app = NodekeeperApp(store, section="containers", refresh_every=None)

    async def scenario(pilot: Pilot[None]) -> None:
        assert shown(app) == ["web1"]
        proxy.cut()
        for _ in range(3):  # r, again and again: told once
            await press(pilot, "r")
        told = [n for n in notes(app) if "unreachable" in n]
        assert len(told) == 1, notes(app)
        proxy.restore()
        await press(pilot, "r")
        assert shown(app) == ["web1"]

    try:
        drive(app, scenario)
    finally:
        store.close()
        proxy.close()
