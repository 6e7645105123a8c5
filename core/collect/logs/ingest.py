"""Log files into the store: each file read from where the last read stopped (``tail``), each
non-empty line parsed into one event (``parse``), each batch of events stored with the file's
new position in one transaction (``store.logs.store_batch``), so an interrupted import or a
restarted collector goes on where it stopped, and a second import of the same files adds
nothing.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from typing import Any

from ...errors import NodekeeperError, ValidationError
from ...store.logs import FilePosition
from ...times import local_zone
from .parse import FORMATS, Parser, detect_format
from .tail import FileState, LogUnreadable, read_new

# The logs read by default, those of them that exist (``nodekeeper collect``).
DEFAULT_LOGS = tuple(
    f"/var/log/{name}"
    for name in ("auth.log", "syslog", "messages", "secure", "kern.log", "fail2ban.log")
)
SNIFF_BYTES = 8192  # the start of a file its format is told from
SNIFF_LINES = 10
# A file with this much to read is parsed in a child process while this one stores (_in_child);
# less is parsed here (a collector's cycle: a fork would cost more than it saves).
PARALLEL_BYTES = 8 << 20
# json.dumps(meta, ensure_ascii=False), the same text: json.dumps builds an encoder at each call
# when given an option (3.5 -> 1.6 us an event).
_METADATA_JSON = json.JSONEncoder(ensure_ascii=False).encode

Progress = Callable[[str, int, int, str], None]  # (stage, done, total, item), as ProgressBar's


def existing_default_logs() -> list[str]:
    return [path for path in DEFAULT_LOGS if os.path.isfile(path)]


def check_format(name: str | None) -> str | None:
    if name is not None and name not in FORMATS:
        raise ValidationError(
            "format", name, f"is not one of {', '.join(FORMATS)} (leave it out to tell each "
            "file's format from its first lines)",
        )  # fmt: skip
    return name


def sniff(path: str) -> list[str]:
    """The first lines of ``path`` (none if it cannot be read now: the reading says why)."""
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return []
    return head.decode("utf-8", "replace").splitlines()[:SNIFF_LINES]


@dataclass
class FileSummary:
    path: str
    format: str
    lines: int = 0  # complete lines read, empty ones included
    events: int = 0
    bytes: int = 0


@dataclass
class ImportSummary:
    files: list[FileSummary] = field(default_factory=list)
    seconds: float = 0.0  # reading, parsing and storing the events
    derived: Any = None  # store.threats.update()'s Updated: IPs and patterns brought up to date
    indexed: int = 0  # events taken into the text index (store.logs.index_text)
    derive_seconds: float = 0.0  # deriving and indexing, after the events were stored
    failed: dict[str, str] = field(default_factory=dict)  # path -> why it could not be read

    def derive(self, store, index_limit: int | None) -> None:
        """What follows the events read: the IP reputations and trace patterns brought up to
        date when there are new ones, and the text index taking in what earlier runs left too
        (at most ``index_limit``: a collector's cycle indexes a bounded part)."""
        started = time.perf_counter()
        if self.events:
            self.derived = store.threats.update()
        self.indexed = store.logs.index_text(index_limit)
        self.derive_seconds = time.perf_counter() - started

    def add(self, other: ImportSummary) -> None:
        """Count ``other``'s reading (the journal's, after the files') in this one."""
        self.files += other.files
        self.seconds += other.seconds
        self.indexed += other.indexed
        self.derive_seconds += other.derive_seconds
        self.failed.update(other.failed)
        if other.derived is not None:
            mine = self.derived
            self.derived = (
                other.derived
                if mine is None
                else replace(
                    mine,
                    **{
                        f: getattr(mine, f) + getattr(other.derived, f)
                        for f in ("events", "ips", "patterns")
                    },
                )
            )

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def events(self) -> int:
        return sum(f.events for f in self.files)

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds > 0 else 0.0


def _state(position: FilePosition | None) -> FileState | None:
    if position is None:
        return None
    return FileState(
        position.path, position.device, position.inode, position.offset, position.first_line_hash
    )


def import_files(
    store,
    paths: Iterable[str],
    *,
    fmt: str | None = None,
    zone: tzinfo | None = None,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.time,
    go_on: bool = False,
    index_limit: int | None = None,
) -> ImportSummary:
    """Read what is new in each of ``paths`` into ``store``'s log events. ``fmt`` names the
    format of every file; else each file's is told from its first lines. A file that cannot
    be read raises ``LogUnreadable`` (what was stored before stays: each batch is whole), or
    with ``go_on`` is named in ``failed`` and the others are read. ``index_limit`` bounds the
    events taken into the text index now (the collector's, each cycle)."""
    check_format(fmt)
    zone = local_zone() if zone is None else zone
    summary = ImportSummary()
    started = time.perf_counter()
    positions = store.logs.positions()
    for path in paths:
        try:
            summary.files.append(
                _import_file(store, path, positions.get(path), fmt, zone, progress, clock)
            )
        except LogUnreadable as exc:
            if not go_on:
                raise
            summary.failed[path] = str(exc)
    summary.seconds = time.perf_counter() - started
    summary.derive(store, index_limit)
    return summary


def _import_file(
    store, path: str, position: FilePosition | None, fmt: str | None, zone: tzinfo,
    progress: Progress | None, clock: Callable[[], float],
) -> FileSummary:  # fmt: skip
    name = os.path.basename(path)
    fmt = fmt or detect_format(sniff(path))
    done = FileSummary(path, fmt)
    total = _size(path) - (position.offset if position else 0)
    lines = position.lines if position else 0
    last = _state(position)
    args = (path, last, fmt, zone, clock, name)
    batches = _in_child(args) if total >= PARALLEL_BYTES else _batches(*args)
    for rows, state, read_lines, now in batches:
        read = state.offset - (last.offset if last and last.inode == state.inode else 0)
        done.bytes += max(read, 0)
        done.lines += read_lines
        done.events += len(rows)
        lines += read_lines
        store.logs.store_batch(rows, FilePosition(path, *_fields(state), lines=lines), now=now)
        last = state
        if progress is not None:
            progress(name, min(done.bytes, max(total, 0)), max(total, 0), "")
    return done


Parsed = tuple[list[tuple], FileState, int, int]  # event rows, the file's state, lines, now


def _batches(
    path: str, last: FileState | None, fmt: str, zone: tzinfo, clock: Callable[[], float],
    name: str,
) -> Iterator[Parsed]:  # fmt: skip
    """Each batch of lines read from ``path`` since ``last``, as event rows (``EVENT_FIELDS``)
    with the file's state after it, its count of lines (empty ones included) and the time
    they were read."""
    parse = Parser(fmt, zone, clock()).parse
    encode = _METADATA_JSON
    for batch in read_new(path, last):
        now = int(clock())
        rows: list[tuple] = []
        add = rows.append
        for line in batch.lines:
            if not line:
                continue
            e = parse(line)
            meta = e.metadata
            add((
                e.timestamp, name, e.level, e.program, e.pid, e.host, e.message, e.ip, e.user,
                e.action, encode(meta) if meta else None, now,
            ))  # fmt: skip
        yield rows, batch.state, len(batch.lines), now


def _in_child(args: tuple) -> Iterator[Parsed]:
    """``_batches(*args)``, read and parsed in a child process (forked: it shares nothing with
    this one but the pipe its batches come through, one at a time) while this process stores
    the batch before: on two cores the parsing and SQLite's inserts overlap. Its errors are
    raised here, after the batches read before them."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_parse_in_child, args=(send, args), daemon=True)
    child.start()
    send.close()
    try:
        while True:
            try:
                item = receive.recv()
            except EOFError:
                raise NodekeeperError(
                    f"the process reading {args[0]!r} ended without a word (killed?)"
                ) from None
            if item is None:
                return
            if item[0] == "unreadable":
                raise LogUnreadable(item[1], item[2])
            if item[0] == "error":
                raise NodekeeperError(f"reading {args[0]!r} failed: {item[1]}")
            yield item[1]
    finally:
        receive.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _parse_in_child(send, args: tuple) -> None:
    # A Ctrl-C on the terminal reaches both processes: the parent stops, then ends this one.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for parsed in _batches(*args):
            send.send(("batch", parsed))
        send.send(None)
    except LogUnreadable as exc:
        send.send(("unreadable", exc.path, exc.reason))
    except Exception as exc:  # noqa: BLE001 - said to the parent, which raises it
        send.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()


def _fields(state: FileState) -> tuple[int, int, int, str]:
    return state.device, state.inode, state.offset, state.first_line_hash


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
