"""`nodekeeper logs import`: real log files into a real SQLite file; each line once however
often the files are imported, rotated or appended to; a summary; clear errors."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core import cli, open_store
from core.cli import LOG_FORMATS, main
from core.collect.logs.parse import FORMATS
from core.store import logs

AUTH = [
    "Dec  4 10:00:01 edge sshd[811]: Failed password for invalid user bob.smith from 2001:db8::7 port 52100 ssh2",
    "Dec  4 10:00:05 edge sshd[811]: Failed password for root from 203.0.113.9 port 52101 ssh2",
    "Dec  4 10:01:00 edge sshd[812]: Accepted publickey for alice from 198.51.100.4 port 50022 ssh2: ED25519 SHA256:x",
    "",
    "Dec  4 10:02:00 edge sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls",
]  # fmt: skip
# The year RFC 3164 lines without one are read in: the last 4 December that has begun.
_NOW = datetime.now(UTC)
YEAR = _NOW.year if (_NOW.month, _NOW.day) >= (12, 4) else _NOW.year - 1
F2B = [
    f"{YEAR}-12-04 10:03:00,123 fail2ban.filter  [600]: INFO    [sshd] Found 203.0.113.9 - {YEAR}-12-04 10:00:05",
    f"{YEAR}-12-04 10:03:01,456 fail2ban.actions [600]: NOTICE  [sshd] Ban 203.0.113.9",
    f"{YEAR}-12-04 10:03:02,789 fail2ban.actions [600]: NOTICE  [sshd] Restore Ban 192.0.2.1",
]  # fmt: skip


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, lines: list[str], mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def events(db: Path) -> list[dict]:
    with open_store(db, read_only=True) as store:
        return [
            {"source": e.source, "action": e.action, "ip": e.ip, "user": e.user, "ts": e.timestamp}
            for e in store.logs.events(limit=1000)
        ]


def test_import_reads_each_line_once_and_a_second_run_adds_nothing(tmp_path, capsys):
    db, auth, f2b = tmp_path / "nk.db", tmp_path / "auth.log", tmp_path / "fail2ban.log"
    write(auth, AUTH)
    write(f2b, F2B)
    code, out, err = run(capsys, "--db", str(db), "logs", "import", str(auth), str(f2b))
    assert code == 0, err
    assert f"{auth}: 5 lines, 4 events (rfc3164)" in out
    assert f"{f2b}: 3 lines, 3 events (fail2ban)" in out
    assert "8 lines, 7 events" in out and "lines/s" in out
    stored = events(db)
    assert len(stored) == 7
    assert [e["action"] for e in stored] == [
        "login_failed", "login_failed", "login_accepted", "sudo", "found", "ban", "ban_restored",
    ]  # fmt: skip
    assert stored[0]["ip"] == "2001:db8::7" and stored[0]["user"] == "bob.smith"
    assert stored[0]["source"] == "auth.log" and stored[-1]["source"] == "fail2ban.log"
    # The line's own time (this year's 4 December, or last year's before it), not the reading's.
    day = datetime(YEAR, 12, 4, 10, tzinfo=UTC).timestamp()
    assert [e["ts"] - day for e in stored] == [1, 5, 60, 120, 180, 181, 182]
    # What follows the events: the IPs' reputations (a restored ban is not a new ban).
    assert "4 IP reputations and 0 trace patterns brought up to date" in out
    with open_store(db, read_only=True) as store:
        counts = {t.ip: (t.failed_logins, t.bans) for t in store.threats.threats()}
    assert counts["203.0.113.9"] == (1, 1) and counts["2001:db8::7"] == (1, 0)
    code, out, _ = run(capsys, "--db", str(db), "logs", "import", str(auth), str(f2b))
    assert code == 0 and "0 lines, 0 events" in out and "brought up to date" not in out
    assert len(events(db)) == 7


def test_appended_lines_and_a_rotation_are_read_once_in_order(tmp_path, capsys):
    db, auth = tmp_path / "nk.db", tmp_path / "auth.log"
    write(auth, AUTH[:2])
    assert run(capsys, "--db", str(db), "logs", "import", str(auth))[0] == 0
    write(auth, AUTH[2:3], "a")
    os.rename(auth, tmp_path / "auth.log.1")  # logrotate: the old file renamed, a new one
    write(auth, AUTH[4:])
    code, out, err = run(capsys, "--db", str(db), "logs", "import", str(auth))
    assert code == 0, err
    assert [e["user"] for e in events(db)] == ["bob.smith", "root", "alice", "alice"]


def test_a_last_line_without_its_newline_waits_for_it(tmp_path, capsys):
    db, log = tmp_path / "nk.db", tmp_path / "syslog"
    log.write_text(AUTH[1] + "\n" + AUTH[2][:30])
    run(capsys, "--db", str(db), "logs", "import", str(log))
    assert len(events(db)) == 1
    with open(log, "a") as f:
        f.write(AUTH[2][30:] + "\n")
    run(capsys, "--db", str(db), "logs", "import", str(log))
    assert [e["action"] for e in events(db)] == ["login_failed", "login_accepted"]


def test_bad_paths_and_formats_are_clear_errors_and_import_nothing(tmp_path, capsys):
    db, auth = tmp_path / "nk.db", tmp_path / "auth.log"
    write(auth, AUTH)
    code, _, err = run(capsys, "--db", str(db), "logs", "import", str(auth), str(tmp_path / "nope"))
    assert code != 0 and "nope does not exist; nothing was imported" in err
    code, _, err = run(capsys, "--db", str(db), "logs", "import", str(tmp_path))
    assert code != 0 and "is not a file" in err
    with pytest.raises(SystemExit):
        main(["--db", str(db), "logs", "import", str(auth), "--format", "apache"])
    assert "invalid choice: 'apache'" in capsys.readouterr().err
    assert not db.exists() or events(db) == []


def test_the_clis_names_are_the_parsers_and_the_stores():
    # Named again in the CLI so that its start imports neither.
    assert LOG_FORMATS == FORMATS
    assert cli.COUNT_FIELDS == logs.COUNT_FIELDS


def test_logs_reads_them_back_filtered_counted_and_escaped(tmp_path, capsys):
    db, auth = tmp_path / "nk.db", tmp_path / "auth.log"
    write(
        auth,
        [
            *AUTH,
            "Dec  4 10:05:00 edge sshd[813]: Invalid user \x1b[31mevil from 203.0.113.9 port 1",
        ],
    )
    run(capsys, "--db", str(db), "logs", "import", str(auth))
    code, out, _ = run(capsys, "--db", str(db), "logs", "--ip", "203.0.113.9")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2 and "Failed password for root" in lines[0]
    assert "\x1b" not in out and "\\x1b[31mevil" in lines[1]
    code, out, _ = run(capsys, "--db", str(db), "logs", "--count-by", "action", "--format", "json")
    counts = {c["action"]: c["count"] for c in json.loads(out)}
    assert counts == {"login_failed": 2, "login_accepted": 1, "sudo": 1, "invalid_user": 1}
    code, out, _ = run(
        capsys, "--db", str(db), "logs", "--grep", "accepted PUBLIC", "--format", "json"
    )
    assert [e["user"] for e in json.loads(out)] == ["alice"]
    code, out, _ = run(
        capsys, "--db", str(db), "logs", "--level", "warning", "--limit", "1", "--format", "csv"
    )
    assert out.splitlines()[0].startswith("time,level,source") and len(out.splitlines()) == 2
    code, out, _ = run(capsys, "--db", str(db), "logs", "--since", "-400d", "--until", "-1s")
    assert code == 0 and len(out.splitlines()) == 5  # typed as journalctl takes it
    code, _, err = run(capsys, "--db", str(db), "logs", "--since", "last week")
    assert code != 0 and "--since: 'last week' is not a time" in err


def test_nothing_to_read_is_an_error_and_the_journal_is_a_source(tmp_path, capsys):
    db = tmp_path / "nk.db"
    code, _, err = run(capsys, "--db", str(db), "logs", "import")
    assert code != 0 and "give the log files to read, or --journal" in err
    if shutil.which("journalctl") is None:
        pytest.skip("journalctl is not installed: the journal part needs it")
    code, out, err = run(capsys, "--db", str(db), "logs", "import", "--journal")
    assert code == 0, err
    assert out.startswith("journal: ") and "(journal)" in out  # this machine's, read whole
    read = int(out.split()[1].replace(",", ""))
    with open_store(db, read_only=True) as store:
        assert store.logs.count() == read  # one event per entry (empty ones aside: none here)


def _stored(db: Path) -> tuple[list, list]:
    with open_store(db, read_only=True) as store:
        rows = [
            (e.timestamp, e.source, e.level, e.program, e.pid, e.host, e.message, e.ip, e.user,
             e.action, e.metadata)
            for e in store.logs.events(limit=100_000)
        ]  # fmt: skip
        positions = [p[1:] for p in sorted(store.logs.positions().values())]
        return rows, positions


@pytest.mark.parametrize("cut", [False, True])
def test_a_file_parsed_in_a_child_process_is_stored_as_one_parsed_here(tmp_path, monkeypatch, cut):
    from core.collect.logs import ingest

    auth = tmp_path / "auth.log"
    with open(auth, "wb") as f:
        for i in range(8000):  # several batches of the tailer
            f.write(f"{AUTH[i % len(AUTH)]} {i}\n".encode())
            if i % 1000 == 7:
                f.write(b"Dec  4 10:09:00 edge kernel: bad byte \xff here\n")
        if cut:
            f.write(b"Dec  4 10:10:00 edge sshd[1]: no newline yet")
    stored = []
    for threshold in (0, 1 << 40):  # every file in a child; none
        monkeypatch.setattr(ingest, "PARALLEL_BYTES", threshold)
        db = tmp_path / f"{threshold}.db"
        with open_store(db) as store:
            summary = ingest.import_files(store, [str(auth)], zone=UTC)
            again = ingest.import_files(store, [str(auth)], zone=UTC)
        assert summary.lines == 8008 and summary.events == 8000 + 8
        assert again.lines == 0
        stored.append(_stored(db))
    assert stored[0] == stored[1]
    assert len(stored[0][0]) == 8008


def test_a_file_the_child_cannot_read_is_named_as_one_read_here(tmp_path, monkeypatch):
    from core.collect.logs import ingest

    (tmp_path / "adir").mkdir()
    write(tmp_path / "auth.log", AUTH)
    paths = [str(tmp_path / "adir"), str(tmp_path / "auth.log")]
    failed = []
    for threshold in (0, 1 << 40):
        monkeypatch.setattr(ingest, "PARALLEL_BYTES", threshold)
        with open_store(tmp_path / f"{threshold}.db") as store:
            summary = ingest.import_files(store, paths, zone=UTC, go_on=True)
            assert summary.events == 4
            failed.append(summary.failed)
            with pytest.raises(ingest.LogUnreadable):
                ingest.import_files(store, paths[:1], zone=UTC)
    assert failed[0] == failed[1] and list(failed[0]) == paths[:1]
