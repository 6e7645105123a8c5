"""Where the database is, how a SQLite file is set up, and clear errors for bad locations."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from core import ReadOnly, StoreError, open_store
from core.settings import default_db_path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_argument_wins_over_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NODEKEEPER_DB", str(tmp_path / "env.db"))
    with open_store(tmp_path / "arg.db") as store:
        assert store.location.path == tmp_path / "arg.db"


def test_environment_wins_over_default(tmp_path, monkeypatch):
    monkeypatch.setenv("NODEKEEPER_DB", str(tmp_path / "env.db"))
    with open_store() as store:
        assert store.location.path == tmp_path / "env.db"


def test_default_is_xdg_data_home_for_users_and_var_lib_for_root(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "nodekeeper" / "nodekeeper.db"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_db_path() == Path.home() / ".local/share/nodekeeper/nodekeeper.db"
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert default_db_path() == Path("/var/lib/nodekeeper/nodekeeper.db")


def test_memory_store_keeps_nothing():
    with open_store(":memory:") as store:
        store.containers.create("c1")
        assert store.containers.names() == ["c1"]
        assert store.location.path is None
    with open_store(":memory:") as store:
        assert store.containers.names() == []


def test_sqlite_url_is_accepted(tmp_path):
    with open_store(f"sqlite:///{tmp_path}/url.db") as store:
        store.profiles.create("p")
    assert (tmp_path / "url.db").exists()


def test_new_file_and_directory_are_private(tmp_path):
    path = tmp_path / "new" / "dir" / "nk.db"
    with open_store(path) as store:
        store.containers.create("c1")  # writes, so the -wal and -shm files exist
        assert mode(path.parent) == 0o700
        assert mode(path) == 0o600
        for suffix in ("-wal", "-shm"):
            assert mode(path.with_name(path.name + suffix)) == 0o600


def test_sqlite_pragmas(file_store):
    with file_store.engine.connect() as conn:
        assert conn.scalar(text("PRAGMA journal_mode")) == "wal"
        assert conn.scalar(text("PRAGMA foreign_keys")) == 1
        assert conn.scalar(text("PRAGMA synchronous")) == 1  # NORMAL
        assert conn.scalar(text("PRAGMA busy_timeout")) >= 1000


def test_a_directory_is_refused_naming_it(tmp_path):
    with pytest.raises(StoreError, match=f"{tmp_path} is a directory"):
        open_store(tmp_path)


def test_a_file_that_is_not_sqlite_is_refused_naming_it(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\n" * 10)
    with pytest.raises(StoreError, match=f"{path} is not a SQLite database"):
        open_store(path)
    assert path.read_text() == "just some notes\n" * 10


def test_a_path_that_cannot_be_created_is_refused_naming_it(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match=f"cannot create database file {blocker}/nk.db"):
        open_store(blocker / "nk.db")


def test_a_read_only_file_opens_read_only_with_a_warning(tmp_path, caplog):
    path = tmp_path / "nk.db"
    with open_store(path) as store:
        store.containers.create("c1")
    path.chmod(0o444)
    with caplog.at_level(logging.WARNING, logger="nodekeeper"), open_store(path) as store:
        assert store.read_only
        assert store.containers.names() == ["c1"]
        with pytest.raises(ReadOnly):
            store.containers.create("c2")
    assert f"{path} is read-only" in caplog.text


def test_read_only_open_of_a_missing_file_does_not_create_it(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        open_store(tmp_path / "missing.db", read_only=True)
    assert not (tmp_path / "missing.db").exists()


def test_a_bad_url_is_a_store_error():
    with pytest.raises(StoreError, match="cannot parse database URL"):
        open_store("postgresql+psycopg://user@host:notaport/db")


@pytest.mark.postgresql
def test_postgresql_store_refuses_writes_when_read_only(pg_url):
    open_store(pg_url).close()
    with open_store(pg_url, read_only=True) as store:
        with pytest.raises(ReadOnly):
            store.containers.create("c1")
        assert store.containers.names() == []
        with (
            store.engine.connect() as conn,
            pytest.raises(Exception, match="read-only transaction"),
        ):
            conn.execute(text("INSERT INTO profiles (name) VALUES ('sneaky')"))


def test_a_file_corrupted_under_an_open_store_is_a_store_error(tmp_path):
    path = tmp_path / "nk.db"
    store = open_store(path)
    store.containers.create("c1")
    store.close()
    size = path.stat().st_size
    with open(path, "r+b") as handle:  # keep the header, scribble over the pages
        handle.seek(100)
        handle.write(b"\xff" * (size - 100))
    with pytest.raises(StoreError) as err, open_store(path) as s:
        s.containers.names()
    assert str(path) in str(err.value)
    assert "SELECT" not in str(err.value)


def test_reads_grouped_in_reading_share_one_connection(file_store):
    with file_store.reading() as outer, file_store.reading() as inner:
        assert inner is outer
    with file_store.transaction() as tx, file_store.reading() as inner:
        assert inner is tx


@pytest.fixture
def read_only_mount(tmp_path):
    """A directory on a read-only filesystem (a read-only bind mount), holding a database."""
    import shutil
    import subprocess

    src, mnt = tmp_path / "src", tmp_path / "ro"
    src.mkdir()
    mnt.mkdir()
    with open_store(src / "nk.db") as store:
        store.containers.create("c1")
    for leftover in src.glob("nk.db-*"):
        leftover.unlink()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("needs root and mount(8) to make a read-only filesystem")
    done = subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {done.stderr.decode().strip()}")
    subprocess.run(["mount", "-o", "remount,bind,ro", str(mnt)], check=True)
    yield mnt / "nk.db"
    subprocess.run(["umount", str(mnt)], check=True)


def test_a_database_on_a_read_only_filesystem_opens_read_only(read_only_mount, caplog):
    with (
        caplog.at_level(logging.WARNING, logger="nodekeeper"),
        open_store(read_only_mount) as store,
    ):
        assert store.read_only
        assert store.containers.names() == ["c1"]
        with pytest.raises(ReadOnly):
            store.containers.create("c2")
    assert "opening it read-only" in caplog.text


def test_an_empty_sqlite_url_is_refused():
    with pytest.raises(StoreError, match="names no file"):
        open_store("sqlite:///")
