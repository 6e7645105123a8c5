"""Where reading each log file stopped is stored with the events read up to there, in one
transaction: all of a batch or none of it (every backend: SQLite file, memory, PostgreSQL)."""

from __future__ import annotations

import pytest

from core import StoreError, open_store
from core.store.logs import FilePosition


def event(ts: int, message: str, **fields) -> tuple:
    row = {
        "timestamp": ts, "source": "auth.log", "level": "info", "program": "sshd", "pid": 42,
        "host": "edge", "message": message, "ip_address": None, "user": None, "action": None,
        "metadata": None, "ingested": 1_700_000_999,
    }  # fmt: skip
    row.update(fields)
    return tuple(row.values())


def test_a_batch_stores_its_events_and_the_files_position_together(store):
    at = FilePosition("/var/log/auth.log", 2049, 1234, 120, "ab" * 20, lines=2)
    store.logs.store_batch(
        [event(1_700_000_000, "one"), event(1_700_000_001, "two", ip_address="2001:db8::1")],
        at,
    )
    assert store.logs.count() == 2
    assert store.logs.position("/var/log/auth.log") == at
    moved = at._replace(offset=180, lines=3)
    store.logs.store_batch([event(1_700_000_002, "three")], moved)
    assert store.logs.positions() == {"/var/log/auth.log": moved}
    assert store.logs.count() == 3


def test_a_batch_that_fails_stores_neither_events_nor_position(store):
    at = FilePosition("/var/log/syslog", 1, 2, 10, "")
    store.logs.store_batch([event(1_700_000_000, "kept")], at)
    with pytest.raises(StoreError):  # the second event has no time: the database refuses it
        store.logs.store_batch(
            [event(1_700_000_001, "lost"), event(None, "bad")], at._replace(offset=99)
        )
    assert store.logs.count() == 1
    assert store.logs.position("/var/log/syslog").offset == 10


def test_positions_belong_to_their_node(tmp_path):
    db = tmp_path / "two.db"
    with open_store(db, node="edge-1") as one, open_store(db, node="edge-2") as two:
        one.logs.store_batch([event(1, "a")], FilePosition("/var/log/auth.log", 1, 1, 5, "h"))
        assert two.logs.positions() == {} and two.logs.count() == 0
        assert one.logs.forget("/var/log/auth.log") and not one.logs.positions()
        assert one.logs.count() == 1  # forgetting the position keeps the events
