"""Drive the real console under a pseudo-terminal, as a user's terminal would, for the TUI
benchmarks (``test_tui.py``).

``PtyApp`` starts a command with its stdin, stdout and stderr on the slave side of a pty (its
controlling terminal, a fixed size), reads everything it draws on a thread, time-stamping each
chunk as it arrives, and writes keys to it. ``wait_for`` scans the output from a given offset,
escape sequences stripped, until patterns appear, and says when the chunk that completed them
arrived: the moment a terminal would have drawn it.

``demo_store`` builds the benchmark store with ``core.demo.fill``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
# CSI (cursor moves, SGR, modes), OSC (titles, queries), then two-byte escapes.
ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def plain(raw: bytes) -> str:
    return ESCAPES.sub(b"", raw).decode("utf-8", "replace")


# -- the benchmark store


def demo_store(path: Path, containers: int, days: int, seed: int = 1) -> str:
    """Fill a new SQLite file with ``core.demo.fill``, its history ending now (the dashboard
    shows the last minutes: a store filled earlier would show empty panels); returns the
    summary. Callers copy it (``copy_store``) for each app they run."""
    from core import open_store
    from core.demo import fill

    with open_store(path) as store:
        summary = fill(store, containers=containers, days=days, seed=seed, now=datetime.now(UTC))
        with store.engine.connect() as conn:  # one self-contained file, no -wal beside it
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return summary.describe()


def copy_store(source: Path, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "nodekeeper.db"
    shutil.copyfile(source, target)
    return target


# -- the pseudo-terminal


@dataclass
class Seen:
    """Patterns found in the output: when the chunk that completed them arrived, and where the
    output had got to then (the offset to scan from next)."""

    at: float  # time.perf_counter()
    end: int
    text: str  # the plain text scanned


class PtyApp:
    """A command on a pseudo-terminal of ``cols`` x ``rows``; see the module docstring."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cols: int = 160,
        rows: int = 48,
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        environment = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor",
                       "COLUMNS": str(cols), "LINES": str(rows), **(env or {})}  # fmt: skip
        for name in ("TEXTUAL", "TEXTUAL_DEBUG", "PYTEST_CURRENT_TEST", "NO_COLOR"):
            environment.pop(name, None)
        self.raw = bytearray()
        self.chunks: list[tuple[float, int]] = []  # (arrival, end offset in raw)
        self._changed = threading.Condition()
        environment["NODEKEEPER_BENCH_T0"] = repr(time.time())  # for tui_run.py --trace
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            list(argv), stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=environment,
            start_new_session=True, preexec_fn=_controlling_terminal, close_fds=True,
        )  # fmt: skip
        os.close(slave)
        self.ps = psutil.Process(self.proc.pid)
        self._reader = threading.Thread(target=self._read, name="pty reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:  # EIO: the slave side is closed, the process has gone
                data = b""
            now = time.perf_counter()
            with self._changed:
                if data:
                    self.raw += data
                    self.chunks.append((now, len(self.raw)))
                else:
                    self.chunks.append((now, -1))  # end of output
                self._changed.notify_all()
            if not data:
                return

    @property
    def offset(self) -> int:
        with self._changed:
            return len(self.raw)

    def write(self, data: bytes) -> float:
        """Type ``data``; returns when it was written (time.perf_counter())."""
        at = time.perf_counter()
        os.write(self.master, data)
        return at

    def wait_for(
        self, *patterns: str | re.Pattern[str], start: int = 0, timeout: float = 30.0
    ) -> Seen:
        """Scan the output from ``start`` until every pattern is in it; raise TimeoutError
        (with the tail of the screen text) when they are not there within ``timeout``."""
        compiled = [re.compile(re.escape(p)) if isinstance(p, str) else p for p in patterns]
        deadline = time.perf_counter() + timeout
        index = 0  # the next chunk to look at
        text = ""
        while True:
            with self._changed:
                while index >= len(self.chunks):
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        raise TimeoutError(
                            f"not drawn within {timeout:g} s: "
                            f"{[p.pattern for p in compiled if not p.search(text)]}; "
                            f"the last output: {text[-600:]!r}"
                        )
                    self._changed.wait(left)
                at, end = self.chunks[index]
                index += 1
                if end < 0:
                    raise EOFError(f"the process ended; its last output: {text[-2000:]!r}")
                if end <= start:
                    continue
                raw = bytes(self.raw[start:end])
            text = plain(raw)
            if all(p.search(text) for p in compiled):
                return Seen(at, end, text)

    def quiet(self, seconds: float = 0.3, timeout: float = 10.0) -> int:
        """Wait until nothing has been drawn for ``seconds`` (counted from this call at the
        earliest); returns the output offset then."""
        called = time.perf_counter()
        deadline = called + timeout
        while time.perf_counter() < deadline:
            with self._changed:
                last = max(self.chunks[-1][0] if self.chunks else called, called)
            idle = time.perf_counter() - last
            if idle >= seconds:
                return self.offset
            time.sleep(seconds - idle)
        return self.offset

    def cpu_seconds(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def peak_rss(self) -> int:
        """The peak resident set size so far, in bytes (Linux VmHWM; else the current RSS)."""
        try:
            with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return self.ps.memory_info().rss

    def stop(self, keys: bytes = b"q", timeout: float = 10.0) -> int | None:
        """Quit with ``keys``; SIGTERM, then SIGKILL, if it does not."""
        if self.proc.poll() is None:
            try:
                self.write(keys)
                self.proc.wait(timeout=timeout)
            except (OSError, subprocess.TimeoutExpired):
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    if self.proc.poll() is None:
                        self.proc.send_signal(sig)
                        with contextlib.suppress(subprocess.TimeoutExpired):
                            self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        with contextlib.suppress(OSError):
            os.close(self.master)
        return self.proc.returncode

    def __enter__(self) -> PtyApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _controlling_terminal() -> None:
    # In the child, after setsid(): the pty becomes its controlling terminal, as in a shell.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def nodekeeper(*args: str) -> list[str]:
    """The installed ``nodekeeper`` command (the console script) with ``args``."""
    script = Path(sys.executable).with_name("nodekeeper")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "core.cli", *args]
