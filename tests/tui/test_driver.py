"""The terminal driver (``tui/driver.py``) for real: ``nodekeeper`` on a pseudo-terminal, keys
typed into it. The pilot tests run Textual's headless driver, so only these exercise the input
thread that sleeps until a key, the escape parser's deadline or a stop, and the suspend around
$EDITOR."""

from __future__ import annotations

import os
import shlex
import signal
import time
from pathlib import Path

import psutil
import pytest

from tests.perf.tui_pty import PtyApp, Seen, demo_store, nodekeeper

CONTAINERS = 12


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("driver") / "nodekeeper.db"
    demo_store(path, CONTAINERS, 1)
    return path


def type_keys(app: PtyApp, keys: bytes, *patterns: str, timeout: float = 30.0) -> Seen:
    """Type ``keys`` and wait for ``patterns`` drawn after them: the offset is taken before the
    write, or a frame drawn before we look would be missed."""
    offset = app.offset
    app.write(keys)
    return app.wait_for(*patterns, start=offset, timeout=timeout)


def test_keys_a_lone_escape_and_quit_reach_the_app(db: Path) -> None:
    with PtyApp(nodekeeper("--db", str(db), "--no-collect"), cols=120, rows=40) as app:
        app.wait_for("System", "Interfaces", timeout=60)
        shown = type_keys(app, b"2", f"Containers {CONTAINERS} ·")
        app.write(b"/zzz")
        app.wait_for("No match for 'zzz'", start=shown.end)
        # A lone Escape: the parser cannot tell it from the start of a key code until its
        # deadline passes, which the input thread waits for instead of for the next key.
        offset = app.offset
        escaped = app.write(b"\x1b")
        cleared = app.wait_for(f"Containers {CONTAINERS} ·", start=offset, timeout=5)
        assert cleared.at - escaped < 2.0
        # A character whose bytes come in two reads (a slow link): kept, not taken for the end.
        app.write(b"/")
        time.sleep(0.2)
        app.write(b"\xc3")  # a read of half a character
        time.sleep(0.2)
        app.write(b"\xa9")
        typed = app.wait_for("No match for 'é'", start=cleared.end, timeout=5)
        app.write(b"\x1b")  # out of the filter, so that q quits
        app.wait_for(f"Containers {CONTAINERS} ·", start=typed.end, timeout=5)
        quit_at = app.write(b"q")
        app.proc.wait(timeout=5)
        assert app.proc.returncode == 0
        assert time.perf_counter() - quit_at < 3.0  # the stop woke the input thread at once


def test_after_suspend_and_resume_the_input_thread_neither_spins_nor_loses_keys(
    db: Path,
) -> None:
    with PtyApp(nodekeeper("--db", str(db), "--no-collect", "--refresh", "3600")) as app:
        app.wait_for("System", "Interfaces", timeout=60)
        app.proc.send_signal(signal.SIGTSTP)  # Ctrl+Z: the driver stops its input thread
        process = psutil.Process(app.proc.pid)
        deadline = time.monotonic() + 10
        while process.status() != psutil.STATUS_STOPPED and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.status() == psutil.STATUS_STOPPED
        offset = app.offset
        app.proc.send_signal(signal.SIGCONT)  # fg: a new input thread
        app.wait_for("System", start=offset, timeout=10)  # redrawn
        app.quiet(0.5)
        before, t0 = app.cpu_seconds(), time.perf_counter()
        time.sleep(2.0)
        share = (app.cpu_seconds() - before) / (time.perf_counter() - t0)
        assert share < 0.2, f"{share:.0%} of a core while idle: the input thread spins"
        type_keys(app, b"2", f"Containers {CONTAINERS} ·", timeout=10)


def test_an_editor_that_fails_gives_the_terminal_back_to_the_console(db: Path) -> None:
    env = {"VISUAL": "", "EDITOR": "false"}  # starts, and exits with status 1
    with PtyApp(nodekeeper("--db", str(db), "--no-collect"), env=env) as app:
        app.wait_for("System", "Interfaces", timeout=60)
        shown = type_keys(app, b"2", f"Containers {CONTAINERS} ·")
        app.write(b"E")
        failed = app.wait_for("exited with status 1", start=shown.end, timeout=10)
        app.write(b"3")  # keys reach the console again
        app.wait_for("Profiles", start=failed.end, timeout=10)
        app.write(b"q")
        app.proc.wait(timeout=5)
        assert app.proc.returncode == 0


def test_a_continue_signal_without_a_stop_leaves_one_input_thread(db: Path) -> None:
    """``kill -CONT`` (or a hangup's SIGCONT) on a running console: Textual starts the driver
    again; a second input thread would split keys between two parsers and hang the quit."""
    with PtyApp(nodekeeper("--db", str(db), "--no-collect", "--refresh", "3600")) as app:
        app.wait_for("System", "Interfaces", timeout=60)
        # The baseline: one input thread, and the worker threads the keys below use (asyncio's
        # executor keeps them once started), counted with the containers read once.
        type_keys(app, b"2", f"Containers {CONTAINERS} ·", timeout=10)
        type_keys(app, b"1", "System", timeout=10)
        app.quiet(0.5)  # the reads' worker threads done
        before = len(psutil.Process(app.proc.pid).threads())
        for _ in range(2):
            app.proc.send_signal(signal.SIGCONT)
            time.sleep(0.2)
        # An escape sequence (down) and a key: whole, to one parser.
        type_keys(app, b"\x1b[B2", f"Containers {CONTAINERS} ·", timeout=10)
        app.quiet(0.5)  # the containers' read done
        assert len(psutil.Process(app.proc.pid).threads()) <= before
        app.write(b"q")
        app.proc.wait(timeout=5)
        assert app.proc.returncode == 0


def test_a_hung_up_terminal_ends_the_console_even_when_sighup_is_ignored(db: Path) -> None:
    """Under ``nohup`` (SIGHUP ignored) a closed terminal reads as the end of input: nobody is
    left to type, so the console quits rather than live on without a terminal."""
    command = " ".join(shlex.quote(a) for a in nodekeeper("--db", str(db), "--no-collect"))
    with PtyApp(["sh", "-c", f"trap '' HUP; exec {command}"]) as app:
        app.wait_for("System", "Interfaces", timeout=60)
        os.close(app.master)  # the terminal goes away
        assert app.proc.wait(timeout=10) == 0  # it quit as on q, not killed by a signal
