"""A full disk, for real: a small tmpfs filled to its last byte. Every command says what failed
in one line (no traceback), the pre-upgrade backup never destroys the previous one, and the
collector's log says why its cycles fail, once per cause."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

import core.db.migrate as migrate
from core import StoreError, open_store
from core.collect.daemon import Collector
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]


class Disk:
    """A tmpfs of its own; ``fill()`` takes every byte left, ``free()`` gives them back."""

    def __init__(self, mountpoint: Path) -> None:
        self.path = mountpoint
        self.filler = mountpoint / "filler"

    def fill(self) -> None:
        with open(self.filler, "ab", buffering=0) as handle:
            for size in (1 << 16, 1):  # pages, then the last bytes
                with contextlib.suppress(OSError):
                    while True:
                        handle.write(b"\0" * size)
        probe = self.path / "probe"
        with pytest.raises(OSError) as full, open(probe, "wb", buffering=0) as handle:
            handle.write(b"\0")
        assert full.value.errno == errno.ENOSPC
        probe.unlink()

    def free(self) -> None:
        self.filler.unlink()


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mountpoint)],
        capture_output=True, text=True,
    )  # fmt: skip
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs for a full disk: {mounted.stderr.strip()}"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: the full-disk tests may not skip)")
        pytest.skip(reason)
    try:
        yield Disk(mountpoint)
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=True)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def nodekeeper(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip


@pytest.fixture
def full_store(disk: Disk) -> Iterator[Path]:
    """A database on a disk then filled, held open (as a console would) so that its -shm file
    stays and other processes can open it: what fails is writing, not opening."""
    path = disk.path / "nk.db"
    with open_store(path) as store:
        store.profiles.create("kept")
        with store.engine.connect() as conn:  # an empty WAL: any write must grow a file
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        disk.fill()
        yield path


def test_collect_on_a_full_disk_says_so_in_one_line(full_store: Path) -> None:
    from core.collect.lock import lock_path
    from core.settings import host_node_name

    result = nodekeeper("collect", "--once", "--db", str(full_store))
    assert result.returncode == 1
    assert result.stderr == (  # the lock of the file's one node, named after this host
        f"error: cannot write the collector's lock file {lock_path(full_store, host_node_name())}: "
        "No space left on device\n"
    )


@pytest.mark.parametrize(
    "command",
    [["apply", "{doc}"], ["import-lxc", "{lxc}"], ["demo", "--force", "--containers", "2",
     "--days", "1"], ["delete", "profile", "kept"], ["db", "cleanup"]],
    ids=lambda c: " ".join(c[:2]),
)  # fmt: skip
def test_commands_that_write_on_a_full_disk_print_one_error_line(
    full_store: Path, tmp_path: Path, command: list[str]
) -> None:
    doc = tmp_path / "doc.toml"
    doc.write_text('[[profiles]]\nname = "p1"\n')
    (tmp_path / "lxc" / "c1").mkdir(parents=True)
    (tmp_path / "lxc" / "c1" / "config").write_text("lxc.uts.name = c1\nlxc.arch = x86_64\n")
    argv = [a.format(doc=doc, lxc=tmp_path / "lxc") for a in command]
    result = nodekeeper(*argv, "--db", str(full_store))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), result.stderr
    assert "database or disk is full" in result.stderr
    with open_store(full_store, read_only=True) as store:  # left as it was
        assert store.profiles.names() == ["kept"]


@pytest.mark.parametrize("command", [["apply", "{doc}"], ["db", "upgrade"]], ids=" ".join)
def test_a_new_database_on_a_full_disk_is_one_error_line(disk: Disk, command: list[str]) -> None:
    doc = disk.path.parent / "doc.toml"
    doc.write_text('[[profiles]]\nname = "p1"\n')
    disk.fill()
    path = disk.path / "new.db"
    result = nodekeeper(*[a.format(doc=doc) for a in command], "--db", str(path))
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ") and "database or disk is full" in result.stderr
    if command[0] == "apply":  # open_store made the file: gone again, not an empty database
        assert not path.exists()


def test_a_failed_backup_leaves_the_previous_backup_whole(disk: Disk) -> None:
    path = disk.path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # a database at the previous schema, to be upgraded
        from alembic import command

        command.upgrade(migrate._config(conn), f"{migrate.head_version() - 1:04d}")
        conn.exec_driver_sql("CREATE TABLE ballast (b BLOB)")  # bigger than the space left
        conn.exec_driver_sql("INSERT INTO ballast VALUES (zeroblob(1 << 20))")
    engine.dispose()
    backup = path.with_name(path.name + ".bak")
    backup.write_bytes(b"the backup of an earlier upgrade" * 1000)
    kept = digest(backup)
    with open(disk.filler, "wb") as filler:  # leave half of the database's size
        space = os.statvfs(disk.path)
        filler.write(b"\0" * (space.f_bavail * space.f_frsize - (1 << 19)))
    before = digest(path)
    with pytest.raises(StoreError, match="cannot back up .* before upgrading, nothing was changed"):
        open_store(path)
    assert digest(backup) == kept
    assert digest(path) == before
    assert sorted(p.name for p in disk.path.iterdir()) == ["filler", "old.db", "old.db.bak"]


def test_the_collector_holds_its_readings_through_a_full_disk_and_says_so_once(
    disk: Disk, caplog: pytest.LogCaptureFixture
) -> None:
    path = disk.path / "nk.db"
    with open_store(path) as store:
        # The lock file, with a pid, before the disk is full (it is rewritten in place).
        Collector(store, interval=0.01).run(threading.Event(), once=True)
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        before = len(store.telemetry.system_samples(0))
        stop = threading.Event()
        ticks = 0

        def clock() -> float:  # each cycle reads it once: free the disk after some, then stop
            nonlocal ticks
            ticks += 1
            if ticks == 8:
                disk.free()
            if ticks == 12:
                stop.set()
            return time.time()

        disk.fill()
        caplog.set_level(logging.INFO, logger="nodekeeper")
        collector = Collector(store, interval=0.01, clock=clock)
        cycles = collector.run(stop)
        after = len(store.telemetry.system_samples(0))
    messages = [r.getMessage() for r in caplog.records if r.name == "nodekeeper"]
    told = [m for m in messages if m.startswith((f"cannot write to {path}", f"{path} took"))]
    assert told[0] == (
        f"cannot write to {path} (database {path}: database or disk is full); holding readings "
        "in memory (at most 1800, the oldest dropped beyond) and writing them, in order, when "
        "it takes writes again"
    )
    assert told[1].startswith(f"{path} took writes again after ")
    assert told[1].endswith("wrote the 7 readings held, in order")
    assert len(told) == 2
    assert not [m for m in messages if m.startswith("collector cycle failed")]
    # Ticks 2-7 were cycles on the full disk, held and written at tick 8 with its own; 8-12
    # after it was freed: every reading is in the store.
    assert cycles == 11 and after - before == 11
