"""The collector through an outage of its PostgreSQL database: it keeps sampling, holds the
readings, writes them in order when the database is back, accounts traffic exactly once, tells
the outage when it starts and when it ends, and keeps its node's lock. The database is taken
away by a TCP proxy in front of the real server (``tests/tcp_proxy.py``) and by
``pg_terminate_backend`` on the collector's own connections."""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from core import open_store
from core.collect.daemon import Collector
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgresql

INTERVAL = 0.2
# Whose connections pg_terminate_backend ends: this process's only, not those of a test that
# runs beside it in another pytest-xdist worker.
APP = f"nk-outage-test-{os.getpid()}"


def _url(pg_url: str, proxy: TcpProxy | None = None) -> str:
    url = proxy.url(pg_url) if proxy else pg_url
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}application_name={APP}&connect_timeout=2"


def _samples(pg_url: str) -> list[tuple[int, int]]:
    """(id, timestamp) of every system sample, in the order written."""
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(text("SELECT id, timestamp FROM system_metrics ORDER BY id"))
            ]
    finally:
        engine.dispose()


def _traffic(pg_url: str) -> dict[str, tuple[int, int]]:
    """Each interface chain: (value this period, last raw counter)."""
    with open_store(pg_url, node="edge-1", read_only=True) as store:
        return {
            c.chain: (c.value, store.traffic.state(c.chain).last_raw)
            for c in store.traffic.chains()
        }


class Running:
    """A collector of node edge-1 on ``url`` in a thread, every INTERVAL seconds."""

    def __init__(self, url: str) -> None:
        self.store = open_store(url, node="edge-1")
        self.collector = Collector(self.store, interval=INTERVAL)
        self.stop = threading.Event()
        self.cycles = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.cycles = self.collector.run(self.stop)
        except BaseException as exc:  # noqa: BLE001  (the test says what it was)
            self.error = exc

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)
        self.store.close()


def _until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)


def _told(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if "cannot write to" in r.getMessage() or "took writes again" in r.getMessage()
    ]


@pytest.mark.parametrize("outage", ["connections closed", "nothing listens"])
def test_readings_taken_while_the_database_is_away_are_written_in_order(pg_url, caplog, outage):
    caplog.set_level(logging.INFO, logger="nodekeeper")
    proxy = TcpProxy.for_url(pg_url)
    try:
        with Running(_url(pg_url, proxy)) as running:
            _until(lambda: len(_samples(pg_url)) >= 3)
            before = _traffic(pg_url)
            if outage == "nothing listens":
                proxy.stop_listening()
            else:
                proxy.cut()
            cut_at = time.time()
            time.sleep(2.0)  # ten readings' worth
            assert running.thread.is_alive() and running.error is None
            held = len(running.collector.backlog.held)
            assert held >= 5, "the collector stopped sampling while the database was away"
            during = _samples(pg_url)
            if outage == "nothing listens":
                proxy.listen_again()
            else:
                proxy.restore()
            _until(
                lambda: (
                    not running.collector.backlog.held
                    and len(_samples(pg_url)) > len(during) + held - 1
                )
            )
            running.stop.set()
            running.thread.join(30)
            assert running.error is None
            after = _traffic(pg_url)
    finally:
        proxy.close()
    samples = _samples(pg_url)
    stamps = [ts for _, ts in samples]
    assert stamps == sorted(stamps)  # in order, the held ones after those before
    assert any(ts >= int(cut_at) and ts <= int(cut_at) + 2 for ts in stamps)  # taken while away
    # Every interface's bytes once: what the period grew by is what its counter grew by.
    for chain, (value, raw) in after.items():
        if chain in before and raw is not None and before[chain][1] is not None:
            assert value - before[chain][0] == raw - before[chain][1], chain
    told = _told(caplog)
    assert len(told) == 2, told  # when it started, when it ended (with its length)
    assert "holding readings in memory" in told[0]
    assert "took writes again after" in told[1] and "readings held, in order" in told[1]


def test_connections_killed_by_the_server_are_made_again_and_the_lock_kept(pg_url, caplog):
    caplog.set_level(logging.INFO, logger="nodekeeper")
    admin = create_engine(pg_url)
    try:
        with Running(_url(pg_url)) as running:
            _until(lambda: len(_samples(pg_url)) >= 3)
            with admin.begin() as conn:
                killed = conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE application_name = :app AND pid <> pg_backend_pid()"),
                    {"app": APP},
                ).all()  # fmt: skip
            assert len(killed) >= 2  # the collector's writer and its lock's connection
            count = len(_samples(pg_url))
            _until(lambda: len(_samples(pg_url)) >= count + 5)  # writing again
            _until(lambda: not running.collector.backlog.in_outage)
            # The lock is this collector's again: a second collector of edge-1 is refused.
            second = open_store(_url(pg_url), node="edge-1")
            try:
                with pytest.raises(Exception, match="already running for node 'edge-1'"):
                    Collector(second, interval=INTERVAL).run(threading.Event(), once=True)
            finally:
                second.close()
            assert running.error is None
    finally:
        admin.dispose()


def test_a_collector_whose_lock_was_taken_while_away_stops(pg_url):
    from core.collect.daemon import LockLost

    proxy = TcpProxy.for_url(pg_url)
    try:
        with Running(_url(pg_url, proxy)) as running:
            _until(lambda: len(_samples(pg_url)) >= 2)
            proxy.cut()
            # The server ends the lock's session when its socket closes; another collector of
            # the node, on a direct connection, takes the lock meanwhile.
            other = open_store(_url(pg_url), node="edge-1")
            stop_other = threading.Event()
            taker = threading.Thread(
                target=lambda: Collector(other, interval=INTERVAL).run(stop_other), daemon=True
            )
            deadline = time.monotonic() + 30
            while True:
                taker.start()
                time.sleep(1.0)
                if taker.is_alive():
                    break  # it holds the lock
                assert time.monotonic() < deadline, "the lock was never released"
                taker = threading.Thread(
                    target=lambda: Collector(other, interval=INTERVAL).run(stop_other), daemon=True
                )
            proxy.restore()
            running.thread.join(30)
            assert not running.thread.is_alive()
            assert isinstance(running.error, LockLost)
            assert "already running for node 'edge-1'" in str(running.error)
            stop_other.set()
            taker.join(30)
            other.close()
    finally:
        proxy.close()
