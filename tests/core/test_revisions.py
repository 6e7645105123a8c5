"""The change counter of the containers domain (migration 0005): every change to LXD's tables
bumps it in the same transaction, whoever writes; nothing else does."""

from __future__ import annotations

import importlib.util
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

import core.db.migrate as migrate
from core import ImageInfo, NotFound, Store, open_store
from core.traffic_rules import Reading


def revision_module():
    path = next((migrate.MIGRATIONS_DIR / "versions").glob("0005_*.py"))
    spec = importlib.util.spec_from_file_location("revision_0005", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def bumped(store: Store, change) -> bool:
    before = store.revision()
    change()
    return store.revision() > before


def test_every_change_to_the_containers_domain_bumps_the_counter(store: Store) -> None:
    assert bumped(store, lambda: store.profiles.create("p", config={"limits.cpu": "1"}))
    assert bumped(store, lambda: store.containers.create("c1", profiles=["p"]))
    assert bumped(store, lambda: store.containers.update("c1", power_state="running"))
    image = ImageInfo(fingerprint="ab" * 32, filename="x", size=1, architecture="x86_64")
    assert bumped(store, lambda: store.images.create(image))
    assert bumped(store, lambda: store.config.set("core.https_address", ":8443"))
    assert bumped(store, lambda: store.containers.delete("c1", force=True))


def test_other_domains_and_failed_writes_leave_it_alone(store: Store) -> None:
    store.containers.create("c1")
    when = datetime(2026, 1, 2, 10, tzinfo=UTC)
    assert not bumped(store, lambda: store.services.create("svc", service="a.service"))
    assert not bumped(store, lambda: store.traffic.record(
        [Reading(chain="eth0:in", raw=5, time=when, boot_time=1_767_225_600)]))  # fmt: skip

    def fails() -> None:
        with pytest.raises(NotFound), store.transaction():
            store.containers.update("c1", power_state="running")
            store.containers.delete("missing")  # rolls back the update, and the bump

    assert not bumped(store, fails)


def test_a_write_by_plain_sql_counts_too(store: Store) -> None:
    store.containers.create("c1")
    with store.transaction() as conn:
        before = store.revision()
        conn.execute(text("UPDATE containers SET power_state = 1 WHERE name = 'c1'"))
        assert store.revision() == before + 1  # in the same transaction
    assert store.revision() == before + 1


def test_every_table_of_the_domain_has_its_triggers_at_the_head(tmp_path) -> None:
    """A later migration rebuilding one of these tables on SQLite drops its triggers: it must
    create them again (create_triggers), or this fails."""
    db = tmp_path / "nk.db"
    open_store(db).close()
    with sqlite3.connect(db) as conn:
        triggers = {row[0] for row in conn.execute("SELECT tbl_name || ':' || name FROM "
                                                   "sqlite_master WHERE type = 'trigger'")}  # fmt: skip
    wanted = {f"{table}:nk_revision_{table}_{event.lower()}"
              for table in revision_module().DOMAINS["containers"]
              for event in ("INSERT", "UPDATE", "DELETE")}  # fmt: skip
    assert wanted <= triggers


@pytest.mark.postgresql
def test_every_table_of_the_domain_has_its_trigger_on_postgresql(pg_url: str) -> None:
    with open_store(pg_url) as pg_store, pg_store.reading() as conn:
        triggers = set(conn.execute(text(
            "SELECT event_object_table || ':' || trigger_name FROM information_schema.triggers "
            "WHERE event_object_schema = current_schema()")).scalars())  # fmt: skip
    wanted = {f"{table}:nk_revision_{table}" for table in revision_module().DOMAINS["containers"]}
    assert wanted <= triggers
