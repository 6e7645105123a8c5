"""``nodekeeper --read-only`` end to end: the real command on a pseudo-terminal (the pty helpers
of ``tests/perf/tui_pty.py``), keys typed into it, the real SQLite file compared before and
after. The pilot tests give the App ``read_only=True`` directly; this one checks the command
line, the header's mark, the footer and the edit keys together."""

from __future__ import annotations

import sqlite3
import stat
import tempfile
from pathlib import Path

import core
from tests.perf.tui_pty import PtyApp, nodekeeper

from .test_driver import type_keys

READ_ONLY_FOOTER = "/ Filter s Sort r Refresh ? Help q Quit"  # no n, e, E, d


def dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


def test_read_only_marks_the_header_hides_the_edit_keys_and_writes_nothing() -> None:
    # A short directory: the header shows the database's whole path only if it fits in 120
    # columns, and pytest's (with a worker's directory under -n) may not.
    with tempfile.TemporaryDirectory(prefix="nk-") as short:
        check_read_only_console(Path(short))


def check_read_only_console(tmp_path: Path) -> None:
    db = tmp_path / "nk.db"
    with core.open_store(db) as store:
        store.containers.create("web1", power_state="running", config={"limits.cpu": "4"})
        store.containers.create("db1")
        store.profiles.create("gpu", devices={"gpu0": {"type": "gpu"}})
    before = dump(db)
    ran = tmp_path / "editor-ran"
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\ntouch {ran}\necho "# changed" >> "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)

    argv = nodekeeper("--db", str(db), "--read-only", "--no-collect")
    with PtyApp(argv, cols=120, rows=30, env={"VISUAL": "", "EDITOR": str(editor)}) as app:
        app.wait_for("System", "read-only · nodekeeper", str(db), timeout=60)  # the header's mark
        shown = type_keys(app, b"2", "Containers 2 ·", READ_ONLY_FOOTER)
        for keys in (b"n", b"e", b"E", b"d\r", b"dy"):
            # Each edit key, then 3: Profiles is drawn only if no form, confirmation or editor
            # took the keys first (keys are handled in order).
            shown = type_keys(app, keys + b"3", "Profiles 1 ·")
            assert "Cancel (" not in shown.text, keys  # no form's or confirmation's buttons
            shown = type_keys(app, b"2", "Containers 2 ·", READ_ONLY_FOOTER)
        app.write(b"q")
        assert app.proc.wait(timeout=10) == 0
    assert not ran.exists()  # E never started the editor
    assert dump(db) == before  # not a byte of the store's content changed
