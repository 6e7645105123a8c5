"""Transactions, concurrency and migrations that could lose data: each case found in review."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import multiprocessing
import shutil
import sqlite3
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

import core.db.migrate as migrate
from core import ImageInfo, NotFound, StoreError, ValidationError, open_store
from core.store.containers import expand
from core.store.lxd_common import networks_of
from tests.helpers import nic

REBUILD_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "{next:04d}"
down_revision = "{head:04d}"
branch_labels = None
depends_on = None


def upgrade():
    # Rebuilds the parent table the way Alembic does on SQLite (DROP TABLE included).
    with op.batch_alter_table("containers", recreate="always") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade():
    pass
"""


def test_a_migration_that_rebuilds_a_parent_table_keeps_its_children(
    db_path, tmp_path, monkeypatch
):
    with open_store(db_path) as store:
        store.profiles.create("p1")
        store.containers.create(
            "c1", profiles=["p1"], config={"limits.cpu": "2"}, devices={"eth0": nic("br0")}
        )
    directory = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, directory)
    head = migrate.head_version()
    (directory / "versions" / f"{head + 1:04d}_rebuild.py").write_text(
        REBUILD_REVISION.format(next=head + 1, head=head)
    )
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", directory)
    with open_store(db_path) as store:
        c1 = store.containers.get("c1")
        assert (c1.profiles, c1.config, c1.devices) == (
            ["p1"],
            {"limits.cpu": "2"},
            {"eth0": nic("br0")},
        )
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on


def _open_and_count(path: str) -> int:
    with open_store(path) as store:
        return len(store.containers.names())


def test_several_processes_can_open_a_new_database_at_once(tmp_path):
    path = str(tmp_path / "new.db")
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        assert pool.map(_open_and_count, [path] * 3) == [0, 0, 0]
    with open_store(path) as store:
        assert [v for v, _ in migrate.read_status(store.engine).history] == list(
            range(1, migrate.head_version() + 1)
        )


@pytest.mark.postgresql
def test_several_processes_can_open_a_new_postgresql_schema_at_once(pg_url):
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        assert pool.map(_open_and_count, [pg_url] * 3) == [0, 0, 0]


def test_memory_store_is_safe_to_share_between_threads():
    errors: list[BaseException] = []
    with open_store(":memory:") as store:
        store.profiles.create("p")

        def write(prefix: str) -> None:
            try:
                for i in range(50):
                    store.containers.create(
                        f"{prefix}{i}", profiles=["p"], config={"user.i": str(i)}
                    )
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        def read() -> None:
            try:
                for _ in range(50):
                    store.containers.list()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(p,)) for p in "ab"]
        threads += [threading.Thread(target=read) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(store.containers.names()) == 100


def test_a_write_inside_reading_is_refused_clearly(file_store):
    with file_store.reading(), pytest.raises(RuntimeError, match="use store.transaction"):
        file_store.containers.create("c1")
    assert file_store.containers.names() == []


def test_a_nested_call_that_fails_leaves_nothing_even_when_its_error_is_caught(store):
    with store.transaction():
        store.containers.create("kept")
        with contextlib.suppress(NotFound):
            store.containers.create("half", profiles=["missing"], config={"user.a": "1"})
    assert store.containers.names() == ["kept"]


def test_another_thread_never_joins_this_threads_transaction(file_store):
    async def main() -> bool:
        with file_store.transaction() as conn:

            def joins() -> bool:
                with file_store.reading() as other:
                    return other is conn

            return await asyncio.to_thread(joins)

    assert asyncio.run(main()) is False


def test_a_kept_connection_serves_this_threads_transactions_and_holds_nothing_between(store):
    with store.kept_connection():
        with store.transaction() as first:
            store.containers.create("c1")
        if store.location.path is not None:  # another writer takes SQLite's lock meanwhile
            other = sqlite3.connect(store.location.path, timeout=0)
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            other.close()
        with pytest.raises(StoreError), store.transaction() as conn:
            store.containers.create("c2")
            conn.execute(text("INSERT INTO no_such_table VALUES (1)"))
        with store.transaction() as second:  # the failure rolled back; the connection goes on
            store.containers.create("c3")

        def other_thread() -> object:
            with store.transaction() as conn:
                return conn

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            theirs = pool.submit(other_thread).result()
    assert store.containers.names() == ["c1", "c3"]
    if not store.location.in_memory:  # one shared connection there: nothing to keep
        assert first is second and theirs is not first


def test_a_kept_connection_with_a_bounded_page_cache_leaves_the_pool_unbounded(tmp_path):
    def cache_size(conn) -> int:
        return conn.exec_driver_sql("PRAGMA cache_size").scalar_one()

    with open_store(tmp_path / "nk.db") as store:
        with store.kept_connection(page_cache_kib=256), store.transaction() as kept:
            assert cache_size(kept) == -256  # KiB
            store.telemetry.heartbeat(1000.0, interval=1.0)
        assert store.telemetry.collector_status(1001.0).last_seen == 1000.0
        with store.transaction() as pooled:  # the pool never hands out the bounded one
            default = sqlite3.connect(":memory:").execute("PRAGMA cache_size").fetchone()[0]
            assert cache_size(pooled) == default  # SQLite's own (-2000: 2,000 KiB)


@pytest.mark.postgresql
def test_a_kept_connection_the_server_dropped_fails_one_transaction_then_reconnects(pg_url):
    with open_store(pg_url) as store, store.kept_connection():
        with store.transaction() as conn:
            backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with open_store(pg_url) as admin, admin.transaction() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        with pytest.raises(StoreError):  # through the driver's cursor, as the collector writes
            store.telemetry.heartbeat(1000.0, interval=2.0)
        store.telemetry.heartbeat(1001.0, interval=2.0)
        assert store.telemetry.collector_status(1002.0).last_seen == 1001.0


def test_large_image_sizes_and_long_values_fit_on_every_backend(store):
    store.images.create(ImageInfo(fingerprint="ab" * 32, filename="big.img", size=3_000_000_000,
                                  architecture="x86_64"))  # fmt: skip
    assert store.images.get("abab").size == 3_000_000_000
    user_data = "#cloud-config\n" + "packages: [htop]\n" * 600  # ~10 KB
    store.containers.create("c1", config={"user.user-data": user_data},
                            devices={"eth0": nic("br0", **{"user.notes": "n" * 8000})})  # fmt: skip
    assert store.containers.get("c1").config["user.user-data"] == user_data


def test_a_database_that_is_not_nodekeepers_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    with pytest.raises(StoreError, match="not a nodekeeper database"):
        open_store(path)
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert tables == ["notes"]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    conn.close()


def test_expand_skips_a_profile_deleted_since_the_container_was_read(store):
    store.profiles.create("gone", config={"user.a": "1"})
    store.profiles.create("kept", config={"user.b": "2"})
    store.containers.create("c1", profiles=["gone", "kept"])
    container = store.containers.get("c1")
    view = expand(container, {"kept": store.profiles.get("kept")})
    assert view.config == {"user.b": "2"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda s: s.containers.create("c1", profiles="default"),
            "must be a list of profile names",
        ),
        (
            lambda s: s.images.create(
                ImageInfo(
                    fingerprint="ab" * 32,
                    filename="x",
                    size=1,
                    architecture="x86_64",
                    aliases=["a"],
                )
            ),
            "aliases",
        ),  # fmt: skip
        (
            lambda s: s.images.create(
                ImageInfo(fingerprint="ab" * 32, filename="x" * 300, size=1, architecture="x86_64")
            ),
            "longer than 255",
        ),  # fmt: skip
    ],
    ids=["profiles-as-string", "aliases-as-list", "long-filename"],
)
def test_malformed_values_are_validation_errors(store, call, message):
    with pytest.raises(ValidationError, match=message):
        call(store)


def test_certificate_lookup_takes_no_wildcards(store):
    from tests.helpers import make_certificate

    pem, _ = make_certificate("ops")
    store.certificates.add(pem)
    for pattern in ("_", "%", "o%"):
        with pytest.raises(NotFound):
            store.certificates.get(pattern)


def test_a_concurrent_create_of_the_same_name_is_already_exists(store):
    from core import AlreadyExists
    from core.store.lxd_common import T, insert_named

    store.containers.create("taken")
    with pytest.raises(AlreadyExists, match="container 'taken'"), store.transaction() as conn:
        insert_named(
            conn, T["containers"], {"name": "taken", "architecture": 2}, "container", "taken"
        )


# -- property: the SQL answer equals the expanded view, for any containers and profiles

nets = st.sampled_from(["br0", "br1", None])
device = st.fixed_dictionaries(
    {"type": st.sampled_from(["nic", "nic", "disk", "none"])},
    optional={"network": nets.filter(bool), "parent": nets.filter(bool)},
)
devices = st.dictionaries(st.sampled_from(["eth0", "eth1", "mgmt"]), device, max_size=3)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    profiles=st.lists(devices, min_size=1, max_size=4),
    containers=st.lists(
        st.tuples(st.lists(st.integers(0, 3), unique=True, max_size=3), devices),
        min_size=1,
        max_size=6,
    ),
)
def test_using_network_agrees_with_the_expanded_devices(profiles, containers):
    with open_store(":memory:") as store:
        for i, devs in enumerate(profiles):
            store.profiles.create(f"p{i}", devices=devs)
        for i, (order, devs) in enumerate(containers):
            store.containers.create(f"c{i}", profiles=[f"p{j}" for j in order if j < len(profiles)],
                                    devices=devs)  # fmt: skip
        by_name = {p.name: p for p in store.profiles.list()}
        for net in ("br0", "br1"):
            expected = sorted(
                c.name
                for c in store.containers.list()
                if net in networks_of(expand(c, by_name).devices)
            )
            assert store.containers.using_network(net) == expected
