"""The systemd journal as a source: real journal files (made by systemd-journal-remote from the
journal export format) read through journalctl; each entry one event with the parser's fields,
read once however often the import runs (its cursor kept), new entries read once."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from core.collect.logs.journal import JOURNAL, import_journal
from core.collect.logs.tail import LogUnreadable

REMOTE = next(
    (
        p
        for p in ("/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote")
        if os.access(p, os.X_OK)
    ),
    None,
)
pytestmark = [
    pytest.mark.skipif(shutil.which("journalctl") is None, reason="journalctl is not installed"),
    pytest.mark.skipif(
        REMOTE is None,
        reason="systemd-journal-remote is not installed (apt-get install systemd-journal-remote)",
    ),
]

T0 = 1_764_900_000  # 2025-12-05 02:00:00 UTC
BOOT = "0123456789abcdef0123456789abcdef"


def entry(second: int, fields: dict[str, str | bytes]) -> bytes:
    """One entry in the journal export format; a bytes value is written as binary data."""
    micro = (T0 + second) * 1_000_000
    out = b"__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n" % (
        micro, micro, BOOT.encode(),
    )  # fmt: skip
    for key, value in fields.items():
        if isinstance(value, bytes):
            out += key.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
        else:
            out += f"{key}={value}\n".encode()
    return out + b"\n"


def append(journal: Path, *entries: bytes) -> None:
    """Add ``entries`` to the journal file (made when missing), as journald would."""
    subprocess.run(
        [REMOTE, "-o", str(journal), "-"], input=b"".join(entries), check=True,
        capture_output=True,
    )  # fmt: skip


def events(store) -> list:
    return store.logs.events(limit=1000)


SSHD = {
    "MESSAGE": "Failed password for invalid user bob.smith from 2001:db8::7 port 52113 ssh2",
    "PRIORITY": "6", "SYSLOG_FACILITY": "10", "SYSLOG_IDENTIFIER": "sshd", "_PID": "4321",
    "_COMM": "sshd", "_HOSTNAME": "edge-1", "_SYSTEMD_UNIT": "ssh.service",
}  # fmt: skip
OOM = {
    "MESSAGE": "Out of memory: Killed process 2345 (java) total-vm:123kB, anon-rss:1kB",
    "PRIORITY": "3", "SYSLOG_IDENTIFIER": "kernel", "_HOSTNAME": "edge-1",
}  # fmt: skip
UNIT = {
    "MESSAGE": "nginx.service: Failed with result 'exit-code'.", "PRIORITY": "4",
    "SYSLOG_IDENTIFIER": "systemd", "_PID": "1", "_HOSTNAME": "edge-1",
    "_SYSTEMD_UNIT": "init.scope", "_SOURCE_REALTIME_TIMESTAMP": str((T0 + 2) * 1_000_000 + 999),
}  # fmt: skip
BARE = {"MESSAGE": "worker crashed: fatal error in loop", "_COMM": "worker", "_PID": "77"}


def test_journal_entries_become_events_with_the_parsers_fields(store, tmp_path):
    journal = tmp_path / "system.journal"
    append(journal, entry(0, SSHD), entry(1, OOM), entry(3, UNIT), entry(4, BARE))
    done = import_journal(store, file=str(journal))
    assert (done.lines, done.events) == (4, 4) and done.bytes > 0
    sshd, oom, unit, bare = events(store)
    assert (sshd.timestamp, sshd.source, sshd.level, sshd.program, sshd.pid, sshd.host) == (
        T0, JOURNAL, "info", "sshd", 4321, "edge-1",
    )  # fmt: skip
    assert (sshd.action, sshd.ip, sshd.user) == ("login_failed", "2001:db8::7", "bob.smith")
    assert sshd.message == SSHD["MESSAGE"]
    assert sshd.metadata["port"] == 52113 and sshd.metadata["systemd_unit"] == "ssh.service"
    assert (oom.level, oom.program, oom.pid, oom.action) == ("error", "kernel", None, "oom_kill")
    assert oom.metadata == {"killed_pid": 2345, "process": "java"}
    # the time the entry was made (_SOURCE_REALTIME_TIMESTAMP), to the second
    assert (unit.timestamp, unit.level, unit.action) == (T0 + 2, "warning", "unit_failed")
    assert unit.metadata == {
        "unit": "nginx.service", "result": "exit-code", "systemd_unit": "init.scope",
    }  # fmt: skip
    # no PRIORITY: the level the message says; the program from _COMM
    assert (bare.program, bare.pid, bare.level, bare.action) == ("worker", 77, "critical", None)
    assert [t.failed_logins for t in store.threats.threats()] == [1]  # derived, as files are


def test_a_second_read_adds_nothing_and_new_entries_are_read_once(file_store, tmp_path):
    journal = tmp_path / "system.journal"
    append(journal, entry(0, SSHD), entry(1, OOM))
    assert import_journal(file_store, file=str(journal)).events == 2
    position = file_store.logs.position(JOURNAL)
    assert position.cursor and position.lines == 2
    again = import_journal(file_store, file=str(journal))
    assert (again.lines, again.events) == (0, 0)
    assert file_store.logs.position(JOURNAL) == position
    append(journal, entry(5, UNIT), entry(6, BARE), entry(7, {**SSHD, "MESSAGE": "last one"}))
    assert import_journal(file_store, file=str(journal)).events == 3
    assert import_journal(file_store, file=str(journal)).events == 0
    # (UNIT's time is its _SOURCE_REALTIME_TIMESTAMP, T0 + 2)
    assert [e.timestamp - T0 for e in events(file_store)] == [0, 1, 2, 6, 7]
    assert file_store.logs.position(JOURNAL).lines == 5


def test_a_binary_message_is_kept_decoded_with_replacement(file_store, tmp_path):
    journal = tmp_path / "system.journal"
    raw = b"disk \xff\xfe says:\x01 I/O error, dev sdb, sector 2048\ttab"
    append(journal, entry(0, {"MESSAGE": raw, "PRIORITY": "3", "SYSLOG_IDENTIFIER": "kernel"}))
    import_journal(file_store, file=str(journal))
    (event,) = events(file_store)
    assert event.message == raw.decode("utf-8", "replace")
    assert "\ufffd\ufffd says:\x01" in event.message
    assert (event.action, event.metadata) == ("io_error", {"device": "sdb", "sector": 2048})


def test_batches_keep_the_cursor_and_max_entries_leaves_the_rest_for_the_next_call(
    file_store, tmp_path
):
    journal = tmp_path / "system.journal"
    append(journal, *(entry(i, {**BARE, "MESSAGE": f"line {i}"}) for i in range(7)))
    first = import_journal(file_store, file=str(journal), batch=2, max_entries=5)
    assert first.events == 5 and file_store.logs.position(JOURNAL).lines == 5
    rest = import_journal(file_store, file=str(journal), batch=2)
    assert rest.events == 2
    assert [e.message for e in events(file_store)] == [f"line {i}" for i in range(7)]


def test_starting_at_the_end_reads_only_what_comes_after_the_first_run(file_store, tmp_path):
    journal = tmp_path / "system.journal"
    append(journal, entry(0, SSHD), entry(1, OOM))
    assert import_journal(file_store, file=str(journal), start="new").events == 0
    assert file_store.logs.position(JOURNAL).cursor and file_store.logs.count() == 0
    append(journal, entry(2, BARE))
    assert import_journal(file_store, file=str(journal), start="new").events == 1
    assert [e.program for e in events(file_store)] == ["worker"]


def test_a_journal_directory_is_read_as_the_system_journal_would_be(file_store, tmp_path):
    directory = tmp_path / "journal"
    directory.mkdir()
    append(directory / "system.journal", entry(0, SSHD))
    assert import_journal(file_store, directory=str(directory)).events == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert import_journal(file_store, directory=str(empty)).events == 0


def test_a_journal_that_cannot_be_read_is_a_clear_error_that_stores_nothing(file_store, tmp_path):
    with pytest.raises(LogUnreadable, match="cannot be read: .*No such file or directory"):
        import_journal(file_store, file=str(tmp_path / "missing.journal"))
    with pytest.raises(LogUnreadable, match="no-journalctl cannot be run"):
        import_journal(file_store, journalctl=str(tmp_path / "no-journalctl"))
    assert file_store.logs.count() == 0 and file_store.logs.position(JOURNAL) is None


def test_what_journalctl_prints_is_json_lines_with_the_cursor(tmp_path):
    """The format the import relies on, from journalctl itself."""
    journal = tmp_path / "system.journal"
    append(journal, entry(0, {"MESSAGE": b"a\xffb"}))
    out = subprocess.run(
        ["journalctl", f"--file={journal}", "-o", "json", "--all", "--no-pager"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    (line,) = out.splitlines()
    fields = json.loads(line)
    assert fields["MESSAGE"] == list(b"a\xffb") and fields["__CURSOR"]


def test_an_interrupted_import_keeps_its_whole_batches_and_the_next_goes_on_after_them(
    file_store, tmp_path
):
    journal = tmp_path / "system.journal"
    append(journal, *(entry(i, {**BARE, "MESSAGE": f"line {i}"}) for i in range(7)))
    calls = []

    def interrupted_at_the_fifth_entry() -> float:
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return T0 + 100

    with pytest.raises(KeyboardInterrupt):  # not hidden behind journalctl's own end
        import_journal(file_store, file=str(journal), batch=2, clock=interrupted_at_the_fifth_entry)
    assert [e.message for e in events(file_store)] == [f"line {i}" for i in range(4)]
    assert import_journal(file_store, file=str(journal)).events == 3
    assert [e.message for e in events(file_store)] == [f"line {i}" for i in range(7)]
