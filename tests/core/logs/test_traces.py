"""Event traces: stored with their process, connection and error rows in one transaction and
read back (every backend); removed with their event by retention; taken by the Tracer from real
running processes, never from a dead or reused pid, within their bound per second."""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import sys
import time
from datetime import UTC, datetime

import psutil
import pytest
from sqlalchemy import func, select

from core import StoreError, ValidationError, open_store
from core.collect.daemon import Collector
from core.collect.logs import traces as tracing
from core.collect.logs.traces import Tracer
from core.models import telemetry
from core.store.logs import FilePosition
from core.store.traces import ConnectionFacts, ErrorFacts, ProcessFacts, Trace

TABLES = {
    name: getattr(telemetry, model).__table__
    for name, model in (
        ("event_traces", "EventTrace"),
        ("process_traces", "ProcessTrace"),
        ("network_traces", "NetworkTrace"),
        ("error_traces", "ErrorTrace"),
    )
}
LISTENER = (
    "import socket, sys, time\n"
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
    "print(s.getsockname()[1], flush=True)\n"
    "time.sleep(60)\n"
)


def event(ts: int, message: str = "something", **fields) -> tuple:
    row = {
        "timestamp": ts, "source": "auth.log", "level": "info", "program": "sshd", "pid": None,
        "host": None, "message": message, "ip_address": None, "user": None, "action": None,
        "metadata": None, "ingested": ts,
    }  # fmt: skip
    row.update(fields)
    return tuple(row.values())


def store_events(store, *rows: tuple) -> list[int]:
    """Store ``rows``; returns their ids (the last ones stored)."""
    before = store.logs.last_id()
    store.logs.store_batch(list(rows), FilePosition("test.log", 0, 0, 0, ""))
    return [e.id for e in store.logs.newer(before, limit=len(rows))]


def rows(store, table: str) -> int:
    with store.reading() as conn:
        return conn.scalar(select(func.count()).select_from(TABLES[table]))


@pytest.fixture
def listener():
    """A real process listening on a TCP port of 127.0.0.1: (its psutil.Process, the port)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LISTENER], stdout=subprocess.PIPE, text=True
    )  # fmt: skip
    try:
        port = int(proc.stdout.readline())
        yield psutil.Process(proc.pid), port
    finally:
        proc.kill()
        proc.wait()


def a_trace(event_id: int, ts: int) -> Trace:
    return Trace(
        event_id=event_id,
        timestamp=ts,
        traced_at=ts + 1,
        source="auth.log",
        severity_score=60.0,
        root_cause="the unit web.service exited with an error or could not start",
        causality_chain=({"pid": 4242, "name": "nginx"}, {"pid": 1, "name": "systemd"}),
        related_services=("nginx.service",),
        metadata={"action": "unit_failed", "not_readable": ["io"]},
        processes=(
            ProcessFacts(
                4242,
                "nginx",
                "nginx: master process",
                "sleeping",
                1,
                10_000,
                20_000,
                0.5,
                0.25,
                3,
                None,
                None,
                None,
                None,
            ),
        ),  # fmt: skip
        connections=(
            ConnectionFacts("0.0.0.0", 80, None, None, "LISTEN", "tcp"),
            ConnectionFacts("2001:db8::1", 443, "2001:db8::9", 51000, "ESTABLISHED", "tcp6"),
        ),
        errors=(
            ErrorFacts(
                "unit_failed",
                "service",
                "error",
                error_code="exit-code",
                root_cause_hints=("the unit web.service exited",),
                recovery_suggestions=("journalctl -u web.service", "systemctl status web.service"),
            ),
        ),  # fmt: skip
    )


# -- the store, every backend


def test_a_trace_is_stored_with_its_rows_and_read_back_whole(store):
    (eid, other) = store_events(store, event(1_700_000_000, "a"), event(1_700_000_001, "b"))
    written = a_trace(eid, 1_700_000_000)
    bare = Trace(event_id=other, timestamp=1_700_000_001, traced_at=1_700_000_002)
    ids = store.traces.record([written, bare])
    assert len(ids) == 2 and ids[0] < ids[1]
    assert store.traces.for_event(eid) == dataclasses.replace(written, id=ids[0])
    assert store.traces.for_event(other) == dataclasses.replace(bare, id=ids[1])
    assert store.traces.for_event(other + 1000) is None
    assert store.traces.traced([eid, other, other + 1000]) == {eid, other}
    assert (rows(store, "process_traces"), rows(store, "network_traces")) == (1, 2)
    assert rows(store, "error_traces") == 1


def test_a_trace_of_a_missing_event_stores_nothing_of_its_batch(store):
    (eid,) = store_events(store, event(1_700_000_000))
    with pytest.raises(StoreError, match="(?i)foreign key"):
        store.traces.record([a_trace(eid, 1_700_000_000), a_trace(eid + 99, 1_700_000_000)])
    assert store.traces.count() == 0 and rows(store, "process_traces") == 0


def test_retention_deleting_an_event_deletes_its_trace_and_every_row_of_it(store):
    now = 1_800_000_000
    store.config.set("retention.events_days", "1")
    old, recent = store_events(store, event(now - 2 * 86400), event(now - 3600))
    # The old event's trace is recent itself: only its event's deletion can remove it.
    store.traces.record([a_trace(old, now - 60), a_trace(recent, now - 3600)])
    deleted = store.telemetry.cleanup(now)
    assert deleted["log_events"] == 1
    assert store.traces.for_event(old) is None
    assert store.traces.for_event(recent) is not None
    assert [rows(store, t) for t in TABLES] == [1, 1, 2, 1]


def test_traces_belong_to_their_node(tmp_path):
    db = tmp_path / "two.db"
    with open_store(db, node="edge-1") as one, open_store(db, node="edge-2") as two:
        (eid,) = store_events(one, event(1_700_000_000))
        one.traces.record([a_trace(eid, 1_700_000_000)])
        assert one.traces.for_event(eid) is not None and one.traces.count() == 1
        assert two.traces.for_event(eid) is None and two.traces.count() == 0


def test_the_bound_is_a_setting_checked_like_the_others(store):
    with pytest.raises(ValidationError, match="traces.per_second: '-1' must be a whole number"):
        store.config.set("traces.per_second", "-1")
    store.config.set("traces.per_second", "5")
    assert Tracer(store).per_second == 5


# -- the tracer, against real processes


def test_a_security_event_of_a_running_process_is_traced_with_its_process_and_sockets(
    file_store, listener
):
    proc, port = listener
    tracer = Tracer(file_store)
    now = int(time.time())
    (eid,) = store_events(
        file_store,
        event(now, "Failed password for root from 203.0.113.9 port 22 ssh2", level="warning",
              action="login_failed", program=proc.name(), pid=proc.pid, ip_address="203.0.113.9"),
    )  # fmt: skip
    done = tracer.run()
    assert (done.candidates, done.traced, done.skipped) == (1, 1, 0)
    trace = file_store.traces.for_event(eid)
    (process,) = trace.processes
    assert (process.pid, process.name, process.parent_pid) == (proc.pid, proc.name(), proc.ppid())
    assert "socket.socket()" in process.cmdline and process.memory_rss > 0
    assert process.num_threads >= 1 and process.state in ("sleeping", "running")
    assert ConnectionFacts("127.0.0.1", port, None, None, "LISTEN", "tcp") in trace.connections
    assert trace.causality_chain[0] == {"pid": proc.pid, "name": proc.name()}
    assert trace.causality_chain[1]["pid"] == proc.ppid()
    assert trace.errors == () and trace.root_cause is None
    assert trace.timestamp == now and trace.severity_score == 40.0
    assert trace.metadata["action"] == "login_failed"
    assert tracer.run().candidates == 0  # once


def test_a_dead_pid_gives_no_trace(file_store):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    name = "python3"
    tracer = Tracer(file_store)
    store_events(
        file_store,
        event(int(time.time()), "Invalid user x", level="warning", action="invalid_user",
              program=name, pid=gone.pid),
    )  # fmt: skip
    done = tracer.run()
    assert (done.candidates, done.traced, done.gone) == (1, 0, 1)
    assert file_store.traces.count() == 0


def test_a_reused_pid_another_program_or_started_after_the_event_gives_no_trace(
    file_store, listener
):
    proc, _ = listener
    tracer = Tracer(file_store)
    now = int(time.time())
    started = int(proc.create_time())
    store_events(
        file_store,
        # another program's pid: sshd logged it, the pid is the listener's now
        event(now, "Failed password", level="warning", action="login_failed", program="sshd",
              pid=proc.pid),
        # the right name, but logged before the process started
        event(started - 5, "Failed password", level="warning", action="login_failed",
              program=proc.name(), pid=proc.pid),
        # logged on another host: its pid is another machine's
        event(now, "Failed password", level="warning", action="login_failed",
              program=proc.name(), pid=proc.pid, host="elsewhere.example"),
    )  # fmt: skip
    done = tracer.run()
    assert (done.candidates, done.traced, done.gone) == (3, 0, 3)


def test_events_stored_before_the_tracer_started_or_not_security_nor_error_are_not_traced(
    file_store, listener
):
    proc, _ = listener
    now = int(time.time())
    mine = {"program": proc.name(), "pid": proc.pid}
    store_events(file_store, event(now, "before", level="error", **mine))
    tracer = Tracer(file_store)
    store_events(
        file_store,
        event(now, "Accepted publickey", level="info", **mine),  # no action
        event(now, "Unban 203.0.113.9", level="notice", action="unban", **mine),
        event(now - 3600, "too old to say", level="error", **mine),
    )  # fmt: skip
    done = tracer.run()
    assert (done.candidates, done.traced, done.stale) == (1, 0, 1)
    assert tracer.last_id == file_store.logs.last_id()


@pytest.mark.parametrize(
    ("action", "meta", "category", "said"),
    [
        ("oom_kill", '{"killed_pid": 999999, "process": "java"}', "memory",
         "raise the container's memory limit or find the leak"),
        ("io_error", '{"device": "sdb", "sector": 12345}', "disk",
         "check the device with smartctl -a /dev/sdb"),
        ("unit_failed", '{"unit": "nginx.service", "result": "exit-code"}', "service",
         "read why: journalctl -u nginx.service"),
    ],
)  # fmt: skip
def test_error_events_get_an_error_trace_with_category_cause_and_what_to_do(
    file_store, action, meta, category, said
):
    tracer = Tracer(file_store)
    (eid,) = store_events(
        file_store,
        event(int(time.time()), f"{action} happened", level="error", action=action,
              program="kernel", metadata=meta),
    )  # fmt: skip
    assert tracer.run().traced == 1
    trace = file_store.traces.for_event(eid)
    (error,) = trace.errors
    assert (error.error_type, error.error_category, error.severity) == (action, category, "error")
    assert said in error.recovery_suggestions
    assert trace.root_cause == error.root_cause_hints[0]
    assert trace.processes == () and trace.severity_score == 60.0
    if action == "oom_kill":
        assert trace.root_cause == "a process used more memory than the host (or its " \
            "container or unit) has"  # fmt: skip
    if action == "unit_failed":
        assert error.error_code == "exit-code"
        assert "nginx.service exited with an error" in trace.root_cause


def test_an_error_of_a_running_process_gets_its_process_and_a_rule_from_its_message(
    file_store, listener
):
    proc, port = listener
    tracer = Tracer(file_store)
    message = (
        'Traceback (most recent call last):  File "/srv/app.py", line 12, in main '
        "ConnectionRefusedError: [Errno 111] Connection refused"
    )
    (eid,) = store_events(
        file_store,
        event(int(time.time()), message, level="error", program=proc.name(), pid=proc.pid),
    )
    assert tracer.run().traced == 1
    trace = file_store.traces.for_event(eid)
    assert [p.pid for p in trace.processes] == [proc.pid]
    assert any(c.local_port == port for c in trace.connections)
    (error,) = trace.errors
    assert (error.error_type, error.error_category) == ("error", "network")
    assert (error.exception_type, error.file_path, error.line_number) == (
        "ConnectionRefusedError", "/srv/app.py", 12,
    )  # fmt: skip
    assert error.has_stacktrace


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_past_the_bound_per_second_events_are_counted_skipped_and_told_once_a_minute(
    file_store, listener, caplog, monkeypatch
):
    monkeypatch.setattr(tracing, "TIME_BUDGET", 60.0)  # the bound under test is the count
    proc, _ = listener
    clock = Clock()
    tracer = Tracer(file_store, per_second=2, clock=clock)

    def failures(n: int) -> None:
        store_events(
            file_store,
            *(event(int(clock.now), f"Failed password {i}", level="warning",
                    action="login_failed", program=proc.name(), pid=proc.pid)
              for i in range(n)),
        )  # fmt: skip

    failures(5)
    with caplog.at_level(logging.INFO, logger="nodekeeper"):
        done = tracer.run()
        assert (done.traced, done.skipped) == (2, 3)
        failures(5)
        clock.now += 1.0  # a second later: two more
        done = tracer.run()
        assert (done.traced, done.skipped) == (2, 3)
        clock.now += 60.0  # a quiet minute later: ten seconds' worth, not a minute's
        failures(200)
        done = tracer.run()
        assert (done.traced, done.skipped) == (20, 180)
    assert tracer.skipped == 186 and file_store.traces.count() == 24
    told = [r.getMessage() for r in caplog.records if "not traced" in r.getMessage()]
    assert told == [
        "event traces: 3 events not traced, over the bound of 2 a second (traces.per_second)",
        "event traces: 183 events not traced, over the bound of 2 a second (traces.per_second)",
    ]


def test_a_flood_is_counted_not_read(file_store, monkeypatch):
    monkeypatch.setattr(tracing, "CANDIDATES_PER_RUN", 10)
    tracer = Tracer(file_store, per_second=1000)
    now = int(time.time())
    store_events(file_store, *(event(now, "I/O error", level="error") for _ in range(25)))
    done = tracer.run()
    assert (done.candidates, done.traced, done.skipped) == (25, 10, 15)
    assert tracer.run().candidates == 0


def test_a_bound_of_zero_traces_nothing(file_store):
    file_store.config.set("traces.per_second", "0")
    tracer = Tracer(file_store)
    store_events(file_store, event(int(time.time()), "disk on fire", level="critical"))
    assert tracer.run().candidates == 0 and file_store.traces.count() == 0


def test_the_collector_traces_what_its_log_files_gain(db_path, tmp_path, listener):
    proc, port = listener
    log = tmp_path / "app.log"
    log.write_text("")
    with open_store(db_path) as store:
        collector = Collector(store, interval=1.0, logs=(str(log),))
        collector.cycle()
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        with open(log, "a") as f:
            f.write(f"{stamp} localhost {proc.name()}[{proc.pid}]: error: cannot bind: timed out\n")
        collector.cycle()
        (stored,) = store.logs.events()
        trace = store.traces.for_event(stored.id)
        assert trace is not None and [p.pid for p in trace.processes] == [proc.pid]
        assert trace.errors[0].error_category == "network"
        assert any(c.local_port == port for c in trace.connections)
