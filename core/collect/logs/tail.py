"""Following log files: what is new in a file since the last read, each complete line once.

``read_new(path, state)`` yields ``Batch``es of the complete lines written since ``state`` (None:
never read, start at the beginning), each with the ``FileState`` to store *in the same
transaction* as its lines: a crash before the commit reads the batch again, one after it
does not. Per file the state is its device, inode, the offset after the last line taken and a
hash of its first line (fail2ban's ``logs(path, firstlinemd5, lastfilepos)`` is the model):

- same inode, at least ``offset`` bytes long, same first line: continue at the offset;
- another inode at the path (a rename rotation): the old file, found as ``path + ".1"`` or
  anywhere in the same directory by its device and inode (and first line), is finished from
  the offset first, in batches whose ``rotated_from`` names it and whose state still names it
  (so a crash half-way resumes there), except the one that reaches its end: that one carries
  the new file's state at offset 0, so the store leaves the old file in the same commit (its
  inode may be reused once it is deleted); then the new file is read from 0. While there is no
  new file yet, the old one's complete lines are read and the state stays on it;
- same inode but shorter than the offset, or with another first line (a copytruncate, or a
  file rewritten in place): from 0; when ``path + ".1"`` starts with the stored first line and
  is longer than the offset (the copy a copytruncate left), the copy is finished first, as a
  rotated file is, so the lines written between the last read and the copy are kept (also
  when the truncated file was itself rotated or replaced before the read);
- a last line without its newline waits for it (the offset stays before it), except at the
  end of a file left for good (a rotated-away file or a copy, once the new file exists),
  where it is taken as it is: no newline will ever come to a file no one writes;
- a missing file yields nothing (but the complete lines of its rotated-away file, when the
  state names one); one that cannot be read raises ``LogUnreadable``.

When the file in use changes (a rotation, a copytruncate, a first read) and the new file has no
complete line yet, a batch without lines still carries the new state, so that the store knows
which file it follows.

Lines are split on ``b"\\n"`` only; a ``\\r`` before it is dropped; bytes that are not UTF-8
become U+FFFD (decoded with ``errors="replace"``) and never stop the file. Files are read in
chunks (``read_size``): memory stays bounded whatever the file's size, and a line longer than
``max_line`` characters keeps its first ``max_line`` (the rest is skipped, not held).

What no tailer can know is lost: lines written to a file after the last read and before it
was replaced, or truncated without a copy; a rotated file that is rotated again (or deleted)
before a read finds it; lines a writer still appends to a rotated-away file after the read
that moved on to the new one. Two generations of a file whose first lines are byte for byte
the same (no timestamp in them) cannot be told apart; a file that had no complete line when
it was last read is known by its inode alone. Compressed rotations (``.1.gz``) are not
read: rotate with ``delaycompress`` so that ``.1`` stays plain.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Generator, Iterator
from dataclasses import dataclass

from core.errors import NodekeeperError

READ_SIZE = 1 << 16  # bytes read at once (64 KiB: faster than larger reads, in cache)
MAX_LINE = 65_536  # characters kept of a line


@dataclass(frozen=True, slots=True)
class FileState:
    """Where the reading of ``path`` stands: the file (device, inode), the offset after the last
    line taken, and the SHA-256 of the file's first line (its bytes, newline excluded); ""
    while the file had no complete first line."""

    path: str
    device: int
    inode: int
    offset: int
    first_line_hash: str


@dataclass(slots=True)
class Batch:
    """Complete lines of ``path`` (newline and a trailing ``\\r`` stripped, empty ones kept so
    that positions stay exact) and the state to store with them. ``rotated_from`` names the
    rotated-away file (or copy) these lines come from while it is being finished; the batch
    that reaches its end already carries the new file's state (offset 0)."""

    path: str
    lines: list[str]
    state: FileState
    rotated_from: str | None = None


class LogUnreadable(NodekeeperError):
    """A log file exists but cannot be read (permissions, not a regular file, I/O error)."""

    def __init__(self, path: str, reason: str):
        self.path, self.reason = path, reason
        super().__init__(f"log file {path!r} cannot be read: {reason}")


class _File:
    """An open file: its descriptor and identity. Reads use ``os.pread`` (no shared position)."""

    __slots__ = ("path", "fd", "device", "inode")

    def __init__(self, path: str, fd: int, device: int, inode: int):
        self.path, self.fd, self.device, self.inode = path, fd, device, inode

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def close(self) -> None:
        os.close(self.fd)


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied (run the collector as a user that may read it, e.g. in group adm)"
    return exc.strerror or str(exc)


def _open(path: str) -> _File | None:
    """The regular file at ``path``, opened, or None when there is none."""
    try:
        # O_NONBLOCK: a FIFO put where a log was expected must not block the open.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LogUnreadable(path, _reason(exc)) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LogUnreadable(path, "not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return _File(path, fd, info.st_dev, info.st_ino)


def first_line_hash(fd: int) -> str:
    """SHA-256 (hex) of the bytes before the file's first newline; "" when it has none yet."""
    digest, position = hashlib.sha256(), 0
    while True:
        chunk = os.pread(fd, 65_536, position)
        if not chunk:
            return ""
        cut = chunk.find(b"\n")
        if cut >= 0:
            digest.update(chunk[:cut])
            return digest.hexdigest()
        digest.update(chunk)
        position += len(chunk)


def _split(data: bytes, max_line: int) -> list[str]:
    """The lines of ``data``, which ends with a newline: decoded, ``\\r\\n`` taken as ``\\n``."""
    text = data.decode("utf-8", "replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    lines.pop()  # the empty string after the last newline
    if len(text) > max_line and max(map(len, lines)) > max_line:
        lines = [line[:max_line] for line in lines]
    return lines


def _one(head: bytes, max_line: int) -> str:
    """One line from its (possibly cut) bytes, newline excluded."""
    text = head.decode("utf-8", "replace")
    if text.endswith("\r"):
        text = text[:-1]
    return text[:max_line]


def _lines(
    fd: int, start: int, *, batch_lines: int, batch_bytes: int, max_line: int, read_size: int,
    final: bool,
) -> Iterator[tuple[list[str], int, bool]]:  # fmt: skip
    """Groups of complete lines from ``start`` on, each with the offset after its last line and
    whether it is the last group, read up to the end of the file."""
    lines: list[str] = []
    taken = 0  # bytes behind ``lines``
    position = start  # where the next line starts
    read_at = start
    head = b""  # the bytes read of the line at ``position`` (its first ``keep`` at most)
    head_len = 0  # how many bytes of that line were read
    keep = 4 * max_line + 4  # enough bytes for max_line characters, whatever they are
    while True:
        chunk = os.pread(fd, read_size, read_at)
        if not chunk:
            break
        read_at += len(chunk)
        if head_len > len(head):  # in an over-long line: skip to its end, holding its head only
            cut = chunk.find(b"\n")
            if cut < 0:
                head_len += len(chunk)
                continue
            head_len += cut + 1
            if lines and (len(lines) >= batch_lines or taken + head_len > batch_bytes):
                yield lines, position, False
                lines, taken = [], 0
            lines.append(_one(head, max_line))
            position += head_len
            taken += head_len
            head, head_len = b"", 0
            chunk = chunk[cut + 1 :]
        data = head + chunk if head else chunk
        cut = data.rfind(b"\n") + 1  # the end of the last complete line in data
        begin = 0
        while begin < cut:
            if len(lines) >= batch_lines or taken >= batch_bytes:
                yield lines, position, False
                lines, taken = [], 0
            end = cut
            if end - begin > batch_bytes - taken:
                end = data.rfind(b"\n", begin, begin + batch_bytes - taken) + 1
                if end <= begin:  # not even the next line fits
                    if lines:
                        yield lines, position, False
                        lines, taken = [], 0
                        continue
                    end = data.find(b"\n", begin) + 1  # a line longer than a batch goes alone
            room = batch_lines - len(lines)
            if end - begin > room and data.count(b"\n", begin, end) > room:
                end -= len(data[begin:end].split(b"\n", room)[-1])
            lines += _split(data[begin:end], max_line)
            taken += end - begin
            position += end - begin
            begin = end
        head = data[cut:]
        head_len = len(head)
        if head_len > keep:
            head = head[:keep]
    if final and head_len:  # the unterminated end of a file left for good
        if lines and (len(lines) >= batch_lines or taken + head_len > batch_bytes):
            yield lines, position, False
            lines = []
        lines.append(_one(head, max_line))
        position += head_len
    if lines:
        yield lines, position, True


@dataclass(frozen=True, slots=True)
class _Limits:
    batch_lines: int
    batch_bytes: int
    max_line: int
    read_size: int


def _follow(
    file: _File, path: str, start: int, line_hash: str, limits: _Limits, *,
    rotated_from: str | None = None, then: FileState | None = None, announce: bool = False,
) -> Generator[Batch, None, str]:  # fmt: skip
    """Batches of ``file`` from ``start``.

    With ``then`` (the state of the next file), the file is left for good: its unterminated
    end is taken as a line and the batch that reaches its end carries ``then``, so that the
    store moves on in the same commit (and never names this file again, whose inode may be
    reused). With ``announce``, a batch without lines when there is nothing to read, so that
    the state names this file. Returns "switched" when the last batch carried ``then``,
    "stopped" when the file changed under the reading (truncated, rewritten), else "done".
    """
    found = False
    for lines, end, last in _lines(
        file.fd, start, batch_lines=limits.batch_lines, batch_bytes=limits.batch_bytes,
        max_line=limits.max_line, read_size=limits.read_size, final=then is not None,
    ):  # fmt: skip
        # The caller may store each batch slowly, the file may change meanwhile: what was read
        # must still be this file's (the same first line, at least this long), or the reading
        # stops here and the next read_new sorts it out.
        now = first_line_hash(file.fd)
        line_hash = line_hash or now  # it had no complete line when the reading began
        if now != line_hash or file.size() < end:
            return "stopped"
        if last and then is not None:
            yield Batch(path, lines, then, rotated_from)
            return "switched"
        found = True
        yield Batch(
            path, lines, FileState(path, file.device, file.inode, end, line_hash), rotated_from
        )
    if announce and not found:
        state = FileState(path, file.device, file.inode, start, first_line_hash(file.fd))
        yield Batch(path, [], state)
    return "done"


def _same_file(file: _File, state: FileState) -> bool:
    """Whether ``file`` is the one ``state`` names: device, inode, long enough, same first line."""
    return (
        (file.device, file.inode) == (state.device, state.inode)
        and file.size() >= state.offset
        and (not state.first_line_hash or first_line_hash(file.fd) == state.first_line_hash)
    )


def _renamed(path: str, state: FileState) -> _File | None:
    """The file ``state`` names, renamed away from ``path``: ``path.1``, or another file of the
    same directory with the same device and inode (and first line); None when it is gone."""
    folder, name = os.path.split(path)
    rotated = name + ".1"
    candidates = [path + ".1"]
    try:
        with os.scandir(folder or ".") as entries:
            candidates += [
                os.path.join(folder, e.name)
                for e in entries
                if e.inode() == state.inode and e.name not in (name, rotated)
            ]
    except OSError:
        pass
    for candidate in candidates:
        file = _open(candidate)
        if file is None:
            continue
        if _same_file(file, state):
            return file
        file.close()
    return None


def _copy(path: str, state: FileState, current: _File | None) -> _File | None:
    """``path.1`` when it is the copy a copytruncate left: it starts with the stored first line
    and is longer than the stored offset (another file than ``current``)."""
    if not state.first_line_hash:
        return None
    file = _open(path + ".1")
    if file is None:
        return None
    if (
        (current is None or (file.device, file.inode) != (current.device, current.inode))
        and file.size() > state.offset
        and first_line_hash(file.fd) == state.first_line_hash
    ):
        return file
    file.close()
    return None


def read_new(
    path: str,
    state: FileState | None,
    *,
    batch_lines: int = 10_000,
    batch_bytes: int = 4 << 20,
    max_line: int = MAX_LINE,
    read_size: int = READ_SIZE,
) -> Iterator[Batch]:
    """Batches of what is new in ``path`` since ``state`` (None: from the start), in order.

    Each batch holds at most ``batch_lines`` lines and ``batch_bytes`` bytes of the file (a
    single longer line goes alone); store its lines and its ``state`` in one transaction, then
    ask for the next. See the module's docstring for rotations, truncations and replacements.
    """
    if min(batch_lines, batch_bytes, max_line, read_size) < 1:
        raise ValueError("batch_lines, batch_bytes, max_line and read_size must be positive")
    limits = _Limits(batch_lines, batch_bytes, max_line, read_size)
    try:
        yield from _read_new(path, state, limits)
    except OSError as exc:  # a read failed (EIO...): say which file, as an open that fails does
        raise LogUnreadable(exc.filename or path, _reason(exc)) from exc


def _read_new(path: str, state: FileState | None, limits: _Limits) -> Iterator[Batch]:
    current = _open(path)
    try:
        if state is None:
            if current is not None:
                line_hash = first_line_hash(current.fd)
                yield from _follow(current, path, 0, line_hash, limits, announce=True)
            return
        if current is not None and (current.device, current.inode) == (state.device, state.inode):
            if _same_file(current, state):  # the usual case: carry on
                line_hash = state.first_line_hash or first_line_hash(current.fd)
                yield from _follow(current, path, state.offset, line_hash, limits)
                return
            # Truncated or rewritten in place: finish the copy a copytruncate left, if any.
            old = _copy(path, state, current)
        else:
            # A rotation: finish the old file. Or the file that was copied and truncated is
            # gone too (rotated or replaced since): its copy is still worth finishing.
            old = _renamed(path, state) or _copy(path, state, current)
        ended = "done"
        if current is not None:
            line_hash = first_line_hash(current.fd)
            start = FileState(path, current.device, current.inode, 0, line_hash)
        if old is not None:
            try:
                ended = yield from _follow(
                    old, path, state.offset, state.first_line_hash or first_line_hash(old.fd),
                    limits, rotated_from=old.path, then=start if current is not None else None,
                )  # fmt: skip
            finally:
                old.close()
        if current is not None and ended != "stopped":
            yield from _follow(current, path, 0, line_hash, limits, announce=ended == "done")
    finally:
        if current is not None:
            current.close()
