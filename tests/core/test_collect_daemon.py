"""The collector daemon as a real process: readings, heartbeat, one per database, clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from core import open_store
from core.collect.daemon import Collector


def collect(db, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "core.cli", "--db", str(db), "collect", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)


def test_collector_writes_readings_and_stops_cleanly_on_sigterm(db_path):
    open_store(db_path).close()
    proc = collect(db_path, "--interval", "0.3")
    with open_store(db_path) as store:
        wait_for(lambda: len(store.telemetry.system_samples(0)) >= 3)
        assert store.telemetry.collector_status(time.time()).running
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "SIGTERM: finishing the reading under way" in err and "collector stopped" in err
        status = store.telemetry.collector_status(time.time())
        assert not status.running and status.state == "stopped"
        assert store.telemetry.hourly()  # rolled up on the way out
        chains = {c.chain for c in store.traffic.chains()}
        assert chains and all(c.endswith((":in", ":out")) for c in chains)
        assert not any(c.startswith("lo:") for c in chains)


def test_a_second_collector_on_the_same_database_exits_with_a_clear_message(db_path):
    open_store(db_path).close()
    first = collect(db_path, "--interval", "0.5")
    try:
        with open_store(db_path) as store:
            wait_for(lambda: store.telemetry.collector_status(time.time()).running)
        second = collect(db_path, "--once")
        _, err = second.communicate(timeout=30)
        assert second.returncode == 1
        assert "error: another collector (pid" in err and "already running" in err
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=30)
    assert first.returncode == 0


@pytest.mark.postgresql
def test_one_collector_per_postgresql_database(pg_url):
    with open_store(pg_url) as store:
        stop = threading.Event()
        collector = Collector(store, interval=0.2)
        worker = threading.Thread(target=collector.run, args=(stop,))
        worker.start()
        try:
            wait_for(lambda: store.telemetry.collector_status(time.time()).running)
            second = collect(pg_url, "--once")
            _, err = second.communicate(timeout=30)
            assert second.returncode == 1 and "another collector is already running" in err
        finally:
            stop.set()
            worker.join(timeout=30)
        assert len(store.telemetry.system_samples(0)) >= 1


def test_collect_once_twice_keeps_traffic_baselines_between_runs(db_path):
    for _ in range(2):
        proc = collect(db_path, "--once")
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    with open_store(db_path) as store:
        chains = store.traffic.chains()
        assert chains
        assert all(c.value >= 0 for c in chains)
        assert len(store.telemetry.system_samples(0)) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "0"], "--interval: 0.0 must be greater than 0"),
        (["--procfs", "/nonexistent"], "--procfs: /nonexistent is not a /proc"),
    ],  # fmt: skip
)
def test_bad_collect_options_are_clear_errors(db_path, args, message):
    proc = collect(db_path, *args)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and f"error: {message}" in err


def test_the_iptables_chains_of_a_deleted_service_are_not_counted_again(
    db_path, tmp_path, monkeypatch, caplog
):
    """Deleting a service removes its traffic rows; its NK_ chains stay in the kernel until an
    admin removes them, and the collector must not bring the rows back."""
    import logging
    import stat

    fake = tmp_path / "bin" / "iptables-save"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\ncat <<'EOF'\n*filter\n:NK_web_IN - [0:0]\n:NK_gone_IN - [0:0]\n"
        "[10:1000] -A FORWARD -o br-web -j NK_web_IN\n"
        "[20:2000] -A FORWARD -o br-gone -j NK_gone_IN\nCOMMIT\nEOF\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    with open_store(db_path) as store:
        store.services.create("web")
        store.services.create("gone")
        collector = Collector(store, interval=1.0)
        collector.cycle()
        assert {"service:web:in", "service:gone:in"} <= set(store.traffic.names())
        store.services.delete("gone")
        assert "service:gone:in" not in store.traffic.names()
        with caplog.at_level(logging.INFO, logger="nodekeeper"):
            collector.cycle()
            collector.cycle()
        names = set(store.traffic.names())
        assert "service:web:in" in names and "service:gone:in" not in names
        told = [r.getMessage() for r in caplog.records if "no service 'gone'" in r.getMessage()]
        assert len(told) == 1  # once per process, not every cycle
        store.services.create("gone")  # back: counted again
        collector.cycle()
        assert "service:gone:in" in store.traffic.names()
