"""The collector daemon as a real process: readings, heartbeat, one per database, clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

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


def fake_iptables_save(tmp_path, monkeypatch) -> Path:
    """An ``iptables-save`` first on PATH that prints the dump written to the file returned."""
    dump = tmp_path / "iptables.dump"
    dump.write_text("")
    fake = tmp_path / "bin" / "iptables-save"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ncat '{dump}'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    return dump


def web_counters(received: int, sent: int) -> str:
    """The iptables counters of service web: bytes to it (NK_web_IN) and from it (NK_web_OUT)."""
    return (
        "*filter\n:NK_web_IN - [0:0]\n:NK_web_OUT - [0:0]\n"
        f"[7:{received}] -A FORWARD -o br-web -j NK_web_IN\n"
        f"[5:{sent}] -A FORWARD -i br-web -j NK_web_OUT\nCOMMIT\n"
    )


def test_collect_once_runs_count_each_byte_once_from_the_baseline_the_last_run_stored(
    db_path, tmp_path, monkeypatch
):
    """Each ``collect --once`` (from cron) is a new process: it counts from the raw counters the
    previous run left in the store, so across runs no byte is lost or counted twice."""
    dump = fake_iptables_save(tmp_path, monkeypatch)
    with open_store(db_path) as store:
        store.services.create("web")

    def collect_once(received: int, sent: int) -> dict[str, int]:
        dump.write_text(web_counters(received, sent))
        proc = collect(db_path, "--once")
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        with open_store(db_path) as store:  # a period that ended meanwhile is in the history
            return {
                chain: store.traffic.get(chain).value
                + sum(h.value for h in store.traffic.history(chain))
                for chain in ("service:web:in", "service:web:out")
            }

    # The first reading is the baseline: what flowed before the collector ever ran is not ours.
    assert collect_once(10_000, 5_000) == {"service:web:in": 0, "service:web:out": 0}
    assert collect_once(10_750, 5_000) == {"service:web:in": 750, "service:web:out": 0}
    assert collect_once(10_750, 5_300) == {"service:web:in": 750, "service:web:out": 300}
    assert collect_once(10_750, 5_300) == {"service:web:in": 750, "service:web:out": 300}
    with open_store(db_path) as store:
        assert len(store.telemetry.system_samples(0)) == 4


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


def test_a_reading_whose_commit_answer_was_lost_is_written_again_once(db_path):
    """The reading reached the database, but the answer to its COMMIT was lost with the
    connection: the collector holds it as unwritten, and writes it again telling the store it
    may be there already; the store then keeps the one it has."""
    with open_store(db_path) as store:
        collector = Collector(store, interval=1.0)
        write = collector.backlog.write
        tries: list[bool] = []

        def stored_but_unanswered(reading, again):
            tries.append(again)
            write(reading, again)
            if len(tries) == 1:  # the error a lost connection gives, from a real refusal
                open_store("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2")

        collector.backlog.write = stored_but_unanswered
        collector.cycle()
        assert collector.backlog.in_outage and len(collector.backlog.held) == 1
        collector.backlog.flush(time.time())
        assert tries == [False, True] and not collector.backlog.held
        assert len(store.telemetry.system_samples(0)) == 1


def test_the_collector_tails_its_log_files_each_interval(db_path, tmp_path):
    """Lines appended while it runs are stored once each, with what follows them (the IP's
    reputation); a log it cannot read is told once and does not stop the rest."""
    log = tmp_path / "auth.log"
    log.write_text(
        "Dec  4 10:00:01 edge sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2\n"
    )
    unreadable = tmp_path / "secure"
    unreadable.mkdir()  # a directory: it cannot be read as a log
    open_store(db_path).close()
    proc = collect(db_path, "--interval", "0.3", "--log", str(log), "--log", str(unreadable))
    try:
        with open_store(db_path) as store:
            wait_for(lambda: store.logs.count() == 1)
            with open(log, "a") as f:
                f.write("Dec  4 10:00:02 edge sshd[1]: Failed password for root from 203.0.113.9 ")
                f.flush()
                time.sleep(1.0)  # a line without its newline waits for it
                assert store.logs.count() == 1
                f.write("port 22 ssh2\n")
            wait_for(lambda: store.logs.count() == 2)
            wait_for(lambda: [t.failed_logins for t in store.threats.threats()] == [2])
            time.sleep(1.0)
            assert store.logs.count() == 2  # nothing read twice
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert err.count(str(unreadable)) == 1, err
