"""Statements compiled once and run on the driver's cursor (core.db.prepared): the same values
and the same errors as SQLAlchemy's own execution, on every backend."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.exc import DBAPIError

from core import StoreError, open_store
from core.db.prepared import Prepared, PreparedIn
from core.models.services import TrafficMonitor

TM = TrafficMonitor.__table__
COLUMNS = ("node_id", "chain", "value", "time", "last_raw", "boot_time", "period_start")
INSERT = Prepared(insert(TM), COLUMNS)
BY_CHAIN = PreparedIn(
    lambda chains: (
        select(TM.c.chain, TM.c.last_raw, TM.c.time, TM.c.value)
        .where(TM.c.node_id == bindparam("node_id"))  # a value given before the list's
        .where(TM.c.chain.in_(chains), TM.c.boot_time == 7)  # a value the statement holds
        .order_by(TM.c.chain)
    ),
    ["node_id"],
)
T = datetime(2024, 3, 10, 12, 30, 15, 250_000, tzinfo=UTC)


def test_values_go_through_the_column_types_both_ways(store):
    rows = [(store.node_id, f"c{i}", i, T, (1 << 64) - 1 - i, 7, None) for i in range(5)]
    with store.transaction() as conn:
        INSERT.executemany(conn, rows)
        INSERT.executemany(
            conn, [(store.node_id, "other", 0, None, None, 8, None)]
        )  # another boot: not read
    with store.reading() as conn:
        found = BY_CHAIN.rows(conn, ["c3", "c0", "c4", "missing", "other"], (store.node_id,))
    # A counter above 2^63 (UInt64) and a timezone-aware time (UTCDateTime) come back whole.
    assert found == [(f"c{i}", (1 << 64) - 1 - i, T, i) for i in (0, 3, 4)]
    with store.reading() as conn:  # the same through SQLAlchemy's own results
        assert conn.execute(select(TM.c.last_raw, TM.c.time).where(TM.c.chain == "c0")).one() == (
            (1 << 64) - 1,
            T,
        )


def test_a_value_its_column_type_refuses_is_a_store_error_and_nothing_is_written(store):
    naive = datetime(2024, 3, 10, 12, 0)
    refused = pytest.raises(StoreError, match="refused a value: naive datetime")
    with refused, store.transaction() as conn:
        INSERT.executemany(conn, [(store.node_id, "a", 0, T, 1, 7, None)])
        INSERT.executemany(conn, [(store.node_id, "b", 0, naive, 1, 7, None)])
    with store.reading() as conn:
        assert BY_CHAIN.rows(conn, ["a", "b"], (store.node_id,)) == []


def test_a_driver_error_is_a_store_error_naming_the_database(store):
    with store.transaction() as conn:
        INSERT.executemany(conn, [(store.node_id, "a", 0, T, 1, 7, None)])
    with pytest.raises(StoreError) as error, store.transaction() as conn:
        INSERT.executemany(conn, [(store.node_id, "a", 0, T, 1, 7, None)])  # the primary key again
    assert store.location.display in str(error.value)
    assert "INSERT" not in str(error.value)  # the driver's message, not the SQL


# SQLAlchemy warns, compiling it, that the key column node_id has no value: what is tested.
@pytest.mark.filterwarnings("ignore:Column 'trafficmonitor.node_id' is marked as a member")
def test_a_statement_missing_a_value_is_refused_before_it_runs(store):
    # value has default=0 in the model, which SQLAlchemy applies: left out, it would be NULL.
    with pytest.raises(ValueError, match=r"give the columns \['value'\]"), store.transaction() as c:
        Prepared(insert(TM), ("chain",)).executemany(c, [("a",)])
    unnamed = Prepared(select(TM.c.value).where(TM.c.chain == bindparam("b_chain")))
    missing = pytest.raises(ValueError, match="no value for the parameter 'b_chain'")
    with missing, store.reading() as conn:
        unnamed.rows(conn)
    with store.reading() as conn:
        assert BY_CHAIN.rows(conn, ["a"], (store.node_id,)) == []


# -- text queries, their values by name (the store's bulk reads: core/store/containers.py)

NAMED = Prepared(
    text("SELECT name FROM containers WHERE name >= :low AND type = :kind ORDER BY name")
    .bindparams(bindparam("kind", 0)),  # a value the statement holds
    None,
)  # fmt: skip


def test_a_text_query_takes_its_values_by_name_and_gives_the_drivers_tuples(store):
    for name in ("a", "b", "c"):
        store.containers.create(name)
    with store.reading() as conn:
        assert NAMED.rows(conn, {"low": "b", "unused": 1}) == [("b",), ("c",)]
        assert NAMED.rows(conn, {"low": "a", "kind": 1}) == []  # the held value replaced
        with pytest.raises(ValueError, match="no value for the parameter 'low'"):
            NAMED.rows(conn, {})
    # outside any read: on a pooled connection of its own, the same rows
    assert store.read_rows(NAMED, {"low": "c"}) == [("c",)]


def test_a_failing_read_is_a_store_error_naming_the_database_inside_a_read_or_not(store):
    broken = Prepared(text("SELECT name FROM no_such_table WHERE name = :name"), None)
    with pytest.raises(StoreError) as outside:
        store.read_rows(broken, {"name": "a"})
    with pytest.raises(StoreError) as inside, store.reading():
        store.read_rows(broken, {"name": "a"})
    for error in (outside, inside):
        assert store.location.display in str(error.value)
        assert "SELECT" not in str(error.value)  # the driver's message, not the SQL
    assert store.read_rows(NAMED, {"low": ""}) == []  # the store goes on


@pytest.mark.postgresql
def test_a_pooled_connection_the_server_dropped_is_replaced(pg_url):
    """At most one read fails (a StoreError, never the driver's exception), and the next runs on
    a new connection: the pool checks a connection as it lends it, and one lost under a read is
    invalidated (Prepared.driver_rows)."""
    backend_pid = Prepared(text("SELECT pg_backend_pid() WHERE :x = 1"), None)
    with open_store(pg_url) as store:
        ((backend,),) = store.read_rows(backend_pid, {"x": 1})
        with open_store(pg_url) as admin, admin.transaction() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        with contextlib.suppress(StoreError):
            store.read_rows(backend_pid, {"x": 1})
        ((again,),) = store.read_rows(backend_pid, {"x": 1})
        assert again != backend
        # lost under the read itself: the driver's error as SQLAlchemy's, the connection
        # invalidated so that its pool does not lend it again
        pooled = store.engine.raw_connection()
        ((lent,),) = backend_pid.driver_rows(pooled, store.engine.dialect, {"x": 1})
        with open_store(pg_url) as admin, admin.transaction() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lent})
        with pytest.raises(DBAPIError) as lost:
            backend_pid.driver_rows(pooled, store.engine.dialect, {"x": 1})
        assert lost.value.connection_invalidated and not pooled.is_valid
        pooled.close()
