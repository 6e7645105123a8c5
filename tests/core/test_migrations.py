"""Schema versions: fresh databases, upgrades with a backup, newer schemas refused."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

import core.db.migrate as migrate
from core import SchemaTooNew, open_store

HEAD = migrate.head_version()
NEXT = HEAD + 1
EXTRA_REVISION = f'''
"""test-only revision {NEXT:04d}: adds a table"""
import sqlalchemy as sa
from alembic import op

revision = "{NEXT:04d}"
down_revision = "{HEAD:04d}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("upgrade_probe", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("upgrade_probe")
'''


@pytest.fixture
def newer_code(tmp_path, monkeypatch) -> None:
    """Migrations as a later nodekeeper would ship them: the real ones plus one more."""
    directory = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, directory)
    (directory / "versions" / f"{NEXT:04d}_probe.py").write_text(EXTRA_REVISION)
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", directory)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fresh_database_gets_every_table_and_a_schema_row(store):
    tables = set(inspect(store.engine).get_table_names())
    for name in ("containers", "profiles_devices_config", "services", "users", "trafficmonitor",
                 "system_metrics", "log_events", "event_traces", "accounts", "audit_logs",
                 "iscsi_luns", "schema"):  # fmt: skip
        assert name in tables
    status = migrate.read_status(store.engine)
    assert status.up_to_date and status.current == migrate.head_version()
    assert [v for v, _ in status.history] == list(range(1, HEAD + 1))


def test_foreign_keys_cascade_on_delete(store):
    fks = inspect(store.engine).get_foreign_keys("containers_devices_config")
    assert fks and all(fk["options"].get("ondelete") == "CASCADE" for fk in fks)


def test_opening_again_applies_nothing(file_store, db_path):
    file_store.close()
    with open_store(db_path) as store:
        assert [v for v, _ in migrate.read_status(store.engine).history] == list(range(1, HEAD + 1))
    assert not db_path.with_name(db_path.name + ".bak").exists()


def test_upgrade_backs_up_the_file_first_and_records_the_version(db_path, newer_code):
    # A database made by the current release (version 1)...
    engine = create_engine(f"sqlite:///{db_path}")
    with engine.begin() as conn:
        from alembic import command

        command.upgrade(migrate._config(conn), "0001")
        conn.execute(text("INSERT INTO profiles (name) VALUES ('kept')"))
        conn.execute(text("INSERT INTO containers (id, name, architecture) VALUES (1, 'c1', 2)"))
        conn.execute(
            text(
                "INSERT INTO containers_devices (id, container_id, name, type) VALUES (1, 1, 'eth0', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO containers_devices_config (container_device_id, key, value) VALUES (1, 'network', 'br0')"
            )
        )
    engine.dispose()
    # ...opened by the newer code: backed up, then upgraded.
    with open_store(db_path) as store:
        assert "upgrade_probe" in inspect(store.engine).get_table_names()
        assert store.profiles.names() == ["kept"]
        assert store.containers.using_network("br0") == ["c1"]
        status = migrate.read_status(store.engine)
        assert status.current == NEXT
        assert [v for v, _ in status.history] == list(range(1, NEXT + 1))
    backup = db_path.with_name(db_path.name + ".bak")
    assert backup.exists()
    with sqlite3.connect(backup) as old:
        assert old.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert old.execute("SELECT name FROM profiles").fetchall() == [("kept",)]


def test_newer_schema_is_refused_and_left_untouched(db_path):
    open_store(db_path).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.close()
    before = digest(db_path)
    with pytest.raises(SchemaTooNew, match="0099 is newer than this nodekeeper knows"):
        open_store(db_path)
    with pytest.raises(SchemaTooNew):
        open_store(db_path, upgrade_schema=False)
    assert digest(db_path) == before
    assert not db_path.with_name(db_path.name + ".bak").exists()


@pytest.mark.postgresql
def test_newer_schema_is_refused_on_postgresql(pg_url):
    open_store(pg_url).close()
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(SchemaTooNew):
        open_store(pg_url)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == "0099"
    engine.dispose()


@pytest.mark.postgresql
def test_upgrade_on_postgresql(pg_url, newer_code):
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        from alembic import command

        command.upgrade(migrate._config(conn), "0001")
    engine.dispose()
    with open_store(pg_url) as store:
        assert migrate.read_status(store.engine).current == NEXT
        assert "upgrade_probe" in inspect(store.engine).get_table_names()


def test_read_only_open_of_an_outdated_database_says_what_to_do(db_path, newer_code):
    engine = create_engine(f"sqlite:///{db_path}")
    with engine.begin() as conn:
        from alembic import command

        command.upgrade(migrate._config(conn), "0001")
    engine.dispose()
    with pytest.raises(Exception, match="open it writable to upgrade it"):
        open_store(db_path, read_only=True)


def test_the_shipped_head_read_from_file_names_is_alembics():
    # open_store() compares the database with the file names, without Alembic: each script's
    # name must start with the revision Alembic reads inside it, in one unbranched line.
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate._config())
    for revision in script.walk_revisions():
        assert Path(revision.path).name.startswith(f"{revision.revision}_"), revision.path
    assert migrate.shipped_revisions() == migrate.known_versions()
    assert script.get_heads() == [f"{HEAD:04d}"] == [migrate.shipped_revisions()[-1]]


def test_is_current_tells_the_newest_schema_from_anything_else(db_path):
    open_store(db_path).close()
    engine = create_engine(f"sqlite:///{db_path}")
    try:
        assert migrate.is_current(engine)
        for older_or_newer in ("0001", f"{NEXT:04d}"):
            with engine.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = :v"),
                             {"v": older_or_newer})  # fmt: skip
            assert not migrate.is_current(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
        assert not migrate.is_current(engine)
    finally:
        engine.dispose()
    assert not migrate.is_current(create_engine("sqlite://"))  # empty: no version table


@pytest.mark.postgresql
def test_is_current_on_postgresql(pg_url):
    open_store(pg_url).close()
    engine = create_engine(pg_url)
    try:
        assert migrate.is_current(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
        assert not migrate.is_current(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
        assert not migrate.is_current(engine)  # the failed query does not leak out
    finally:
        engine.dispose()


def _made(path: Path) -> tuple[list[tuple], dict[str, list[tuple]]]:
    """A SQLite database's schema as SQLite keeps it, and its rows but the schema rows' and the
    nodes' times."""
    with sqlite3.connect(path) as conn:
        schema = sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
        rows = {
            name: sorted(conn.execute(f'SELECT * FROM "{name}"'))
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    rows["schema"] = [row[:1] for row in rows["schema"]]
    rows["nodes"] = [row[:3] for row in rows["nodes"]]  # id, name, hostname: not when first seen
    return schema, rows


def test_a_new_database_made_without_the_migrations_is_the_one_they_make(tmp_path, monkeypatch):
    # The first new SQLite database of a process runs the migrations; later ones get what
    # they made without them. Both must be the same database.
    monkeypatch.setattr(migrate, "_new_schemas", {})
    with open_store(tmp_path / "migrated.db") as first:
        assert migrate.read_status(first.engine).up_to_date
    assert [key[-1] for key in migrate._new_schemas] == [f"{HEAD:04d}"]
    with open_store(tmp_path / "made.db") as second:
        status = migrate.read_status(second.engine)
        assert status.up_to_date and [v for v, _ in status.history] == list(range(1, HEAD + 1))
        second.containers.create("c1")  # the triggers and the rows the migrations wrote work
    schema, rows = _made(tmp_path / "migrated.db")
    schema_made, rows_made = _made(tmp_path / "made.db")
    assert schema_made == schema and len(schema) > 100
    rows_made.pop("containers"), rows.pop("containers")
    revisions = dict(rows_made.pop("revisions")), dict(rows.pop("revisions"))
    assert rows_made == rows
    assert revisions[0]["containers"] == revisions[1]["containers"] + 1
