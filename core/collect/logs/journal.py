"""The systemd journal as a log source: each new entry one event, its cursor kept.

``import_journal`` runs ``journalctl -o json --all --no-pager --quiet`` (``--directory`` or
``--file`` when given, else the system's journal), from the entry after the stored cursor
(``--after-cursor``), and reads its output as it comes, one entry per line, never all of it in
memory. Every ``batch`` entries are stored with the cursor of the last one in one transaction
(``store.logs.store_batch`` with the ``log_files`` row whose path is ``"journal"``): an
interrupted import resumes after the last batch stored, and a second run finds nothing new.

The first run (no cursor stored) reads the whole journal, as a log file's first read reads the
whole file (``start="all"``, batch by batch, resumable; ``max_entries`` bounds one call, the next
goes on); ``start="new"`` reads nothing then and keeps the cursor of the journal's last entry, so
that only entries written after it are read.

Each entry is one event: ``MESSAGE`` (a byte array in the JSON when it is not UTF-8 text or holds
control characters: decoded with replacement), ``PRIORITY`` (with ``SYSLOG_FACILITY``) as the
level, ``SYSLOG_IDENTIFIER`` (else ``_COMM``) as the program, ``_PID`` (else ``SYSLOG_PID``),
``_HOSTNAME``, and the time the entry was made (``_SOURCE_REALTIME_TIMESTAMP``, else
``__REALTIME_TIMESTAMP``). The action, IP, user and metadata come from the log parser's rules
(core.collect.logs.parse) for that program and message: the entry is given to ``Parser.parse``
as the RFC 5424 line it would be in a file (``<PRI>1 - HOST PROGRAM PID - - MESSAGE``), and only
the fields the rules found are taken from it; the header's come from the entry itself.
``_SYSTEMD_UNIT`` goes into the metadata as ``systemd_unit``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

from ...log_words import LEVELS
from ...store.logs import FilePosition
from .ingest import FileSummary, ImportSummary
from .parse import Parser
from .tail import LogUnreadable

JOURNAL = "journal"  # the events' source, and the path of the journal's log_files row
BATCH = 5000  # entries per transaction
READ_BUFFER = 1 << 20  # bytes of journalctl's output read at a time
STARTS = ("all", "new")
FIELDS = (
    "MESSAGE",
    "PRIORITY",
    "SYSLOG_FACILITY",
    "SYSLOG_IDENTIFIER",
    "_COMM",
    "_PID",
    "SYSLOG_PID",
    "_HOSTNAME",
    "_SOURCE_REALTIME_TIMESTAMP",
    "_SYSTEMD_UNIT",
)  # fmt: skip  (journalctl always adds __CURSOR and __REALTIME_TIMESTAMP)


def journal_available(journalctl: str = "journalctl") -> bool:
    """Whether ``journalctl`` can be run here."""
    return shutil.which(journalctl) is not None


def _text(value: Any) -> str | None:
    """A field's value as text: a string, a byte array (a list of numbers) decoded with
    replacement, or the first of a field given several times (a list of values)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if all(type(x) is int for x in value):
            return bytes(value).decode("utf-8", "replace")
        return _text(value[0])
    return None


def _number(value: Any) -> int | None:
    text = value if type(value) is str else _text(value)
    if text and len(text) <= 19 and text.isdecimal():
        return int(text)
    return None


def _single_word(text: str | None) -> bool:
    return bool(text) and not any(c.isspace() for c in text)


def _command(
    journalctl: str, cursor: str | None, directory: str | None, file: str | None
) -> list[str]:
    args = [journalctl, "-o", "json", "--all", "--no-pager", "--quiet"]
    args.append("--output-fields=" + ",".join(FIELDS))
    if directory is not None:
        args.append(f"--directory={directory}")
    if file is not None:
        args.append(f"--file={file}")
    if cursor:
        args.append(f"--after-cursor={cursor}")
    return args


class _Reader:
    """One run of journalctl, its output read line by line; its errors kept in a file (a pipe
    left unread could fill and stall it)."""

    def __init__(self, args: list[str]):
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        try:
            self.proc = subprocess.Popen(
                args, stdout=subprocess.PIPE, stderr=self.errors, stdin=subprocess.DEVNULL,
                bufsize=READ_BUFFER,
            )  # fmt: skip
        except OSError as exc:
            self.errors.close()
            raise LogUnreadable(JOURNAL, f"{args[0]} cannot be run: {exc.strerror or exc}") from exc
        self.stopped = False

    def lines(self):
        return self.proc.stdout

    def stop(self) -> None:
        """Stop reading before the end (``max_entries``)."""
        self.stopped = True
        self.proc.terminate()

    def close(self) -> None:
        """Wait for journalctl; LogUnreadable with its message when it failed."""
        try:
            self.proc.stdout.close()
            code = self.proc.wait()
            if code != 0 and not self.stopped:
                self.errors.seek(0)
                said = self.errors.read(4000).decode("utf-8", "replace").strip()
                reason = said.splitlines()[-1] if said else f"journalctl exited with {code}"
                raise LogUnreadable(JOURNAL, reason)
        finally:
            self.errors.close()


class JournalEntries:
    """Journal entries (journalctl's JSON lines) into event rows (store.logs.EVENT_FIELDS)."""

    def __init__(self, source: str = JOURNAL):
        self.source = source
        self._parser = Parser("rfc5424", UTC)

    def row(self, entry: dict[str, Any], now: int) -> tuple:
        get = entry.get
        message = get("MESSAGE")
        if type(message) is not str:  # a byte array, several values, or none
            message = _text(message) or ""
        priority = _number(get("PRIORITY"))
        facility = _number(get("SYSLOG_FACILITY")) or 0
        program = get("SYSLOG_IDENTIFIER") or get("_COMM")
        if program is not None and type(program) is not str:
            program = _text(program)
        pid = _number(get("_PID")) or _number(get("SYSLOG_PID"))
        if pid is not None and pid > 2**31 - 1:
            pid = None
        host = get("_HOSTNAME")
        if host is not None and type(host) is not str:
            host = _text(host)
        micro = _number(get("_SOURCE_REALTIME_TIMESTAMP")) or _number(get("__REALTIME_TIMESTAMP"))
        timestamp = micro // 1_000_000 if micro is not None else now
        # The parser's rules, through the line this entry would be in a file (RFC 5424).
        pri = f"<{facility * 8 + priority}>" if priority is not None and priority < 8 else ""
        line = (
            f"{pri}1 - {host if _single_word(host) else '-'} "
            f"{program if _single_word(program) else '-'} {pid if pid is not None else '-'} - - "
            f"{message}"
        )
        e = self._parser.parse(line)
        meta = dict(e.metadata) if e.metadata else {}
        meta.pop("time", None)  # the line had no time: the entry's is used
        unit = _text(entry.get("_SYSTEMD_UNIT"))
        if unit:
            meta["systemd_unit"] = unit
        level = LEVELS[priority] if priority is not None and priority < 8 else e.level
        return (
            timestamp, self.source, level, program, pid, host, message, e.ip, e.user, e.action,
            json.dumps(meta, ensure_ascii=False) if meta else None, now,
        )  # fmt: skip


def import_journal(
    store,
    *,
    directory: str | None = None,
    file: str | None = None,
    start: str = "all",
    journalctl: str = "journalctl",
    batch: int = BATCH,
    max_entries: int | None = None,
    clock: Callable[[], float] = time.time,
    index_limit: int | None = None,
) -> ImportSummary:
    """Read the journal's entries after the stored cursor into ``store``'s log events (see the
    module's docstring); at most ``max_entries`` this call. Returns the counts: one
    ``FileSummary`` whose ``lines`` are the entries read and ``bytes`` their JSON's size. A
    journal that cannot be read raises ``LogUnreadable`` naming journalctl's reason (what was
    stored before stays: each batch is whole)."""
    if start not in STARTS:
        raise ValueError(f"start must be one of {', '.join(STARTS)}, not {start!r}")
    summary = ImportSummary()
    done = FileSummary(JOURNAL, "journal")
    summary.files.append(done)
    began = time.perf_counter()
    position = store.logs.position(JOURNAL)
    cursor = position.cursor if position else None
    lines = position.lines if position else 0
    if cursor is None and start == "new":
        _start_at_the_end(store, journalctl, directory, file, clock)
        summary.seconds = time.perf_counter() - began
        return summary
    entries = JournalEntries()
    reader = _Reader(_command(journalctl, cursor, directory, file))
    rows: list[tuple] = []
    read = 0
    try:
        for raw in reader.lines():
            now = int(clock())
            try:
                entry = json.loads(raw)
            except ValueError:  # not journalctl's JSON: kept as it is, nothing lost
                entry = {"MESSAGE": raw.decode("utf-8", "replace").rstrip("\n")}
            rows.append(entries.row(entry, now))
            cursor = _text(entry.get("__CURSOR")) or cursor
            read += 1
            done.bytes += len(raw)
            if len(rows) >= batch:
                lines += len(rows)
                _store(store, rows, cursor, lines, now, done)
                rows = []
            if max_entries is not None and read >= max_entries:
                reader.stop()
                break
        if rows:
            lines += len(rows)
            _store(store, rows, cursor, lines, int(clock()), done)
    except BaseException:  # a store error, an interrupt: journalctl is stopped, not waited for
        reader.stop()
        raise
    finally:
        reader.close()
    summary.seconds = time.perf_counter() - began
    summary.derive(store, index_limit)
    return summary


def _store(store, rows: list[tuple], cursor: str | None, lines: int, now: int, done) -> None:
    store.logs.store_batch(
        rows, FilePosition(JOURNAL, 0, 0, 0, "", cursor=cursor, lines=lines), now=now
    )
    done.lines += len(rows)
    done.events += len(rows)


def _start_at_the_end(store, journalctl, directory, file, clock) -> None:
    """Keep the cursor of the journal's last entry (none: an empty journal, nothing kept)."""
    args = _command(journalctl, None, directory, file)
    args[args.index("--output-fields=" + ",".join(FIELDS))] = "--output-fields=__CURSOR"
    reader = _Reader([*args, "--lines=1"])
    last = None
    try:
        for raw in reader.lines():
            last = _text(json.loads(raw).get("__CURSOR")) or last
    finally:
        reader.close()
    if last is not None:
        store.logs.store_batch([], FilePosition(JOURNAL, 0, 0, 0, "", cursor=last), now=clock())
