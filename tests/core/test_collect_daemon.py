"""The collector daemon as a real process: readings, heartbeat, one per database, clean stop."""

from __future__ import annotations

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
