"""Property test of the log tailer against a model: random appends, partial lines, rotations,
copytruncates, replacements (in place, or another file renamed over it), polls that crash
before one of their commits, polls whose caller is slow to store a batch while the file
changes, polls left half-way, and restarts, on a real file. Every line carries a serial
number, so no two first lines are the same (a tailer cannot tell such files apart).

The model keeps every generation of the file (what was written to it from its creation or
truncation until it was rotated away, copied and truncated, or replaced) and what the store
holds: the lines and the state of the batches committed. After every step the stored lines
must be, generation after generation in order, a prefix of each generation's lines: its
complete lines, then possibly its unterminated end once it was left for good. Nothing is
stored twice, nothing out of order, nothing that was not written.

After a last poll, the model says which lines must be there, and they must:

- every complete line of the file as it is now;
- every complete line of a rotated-away generation, when a poll that ran to its end saw it
  while it was current (so the state names it) and another saw it at ``.1`` (before the next
  rotation dropped it);
- every complete line of a copytruncated generation, when a poll that ran to its end read its
  first line while it was current (so the state holds its first line's hash, which finds the
  copy) and another saw the copy at ``.1``;
- of any other generation, what a poll that ran to its end read while it was current, and
  no more is promised: lines written after the last poll and then replaced (in place or not)
  are gone before any tailer can see them; lines of a file copied and truncated before any
  poll read its first line cannot be found (the copy is known by that line); a file rotated
  away twice with no poll in between is dropped unseen (when a partial poll stored some of
  these lines, fine: still once and in order).

A poll "ran to its end" when every batch it yielded was committed and nothing changed the file
during it (``poll`` with no crash). In an exact scenario (every poll runs to its end and no
inode is freed, see ``scenario``) the model knows exactly how many lines of each generation
are stored, the unterminated end of a finished rotated or copied generation included, and the
test asserts that number. In the others, partial polls may store more of what a later poll
would lose, never less, and still once and in order.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from core.collect.logs.tail import FileState, read_new

ODD_BYTES = [b"", b"", b"", b"\xff", b"\xe2\x82", b"\xc3", b"\x80", b"\r", b" \xc3\xa9 "]


def decoded(raw: bytes) -> str:
    """What the tailer must make of one line's bytes (the model's own decoding)."""
    text = raw.decode("utf-8", "replace")
    return text[:-1] if text.endswith("\r") else text


@dataclass
class Generation:
    content: bytearray = field(default_factory=bytearray)
    ended: str | None = None  # "rotated", "copied" or "replaced"
    at_dot1: bool = False  # its bytes are at app.log.1 now (rotated there, or the copy)
    polled: bool = False  # a full poll ran while it was current
    first_line_polled: bool = False  # ... and its first line was complete then
    read: int = 0  # complete lines when the last full poll ran while it was current
    finished: bool = False  # a full poll ran while it was at .1, its state naming it

    def complete(self) -> list[str]:
        return [decoded(raw) for raw in bytes(self.content).split(b"\n")[:-1]]

    def tail(self) -> bytes:
        return bytes(self.content).rpartition(b"\n")[2]


limits = st.fixed_dictionaries(
    {
        "batch_lines": st.integers(1, 4),
        "batch_bytes": st.sampled_from([1, 7, 30, 4 << 20]),
        "read_size": st.sampled_from([1, 3, 16, 1 << 20]),
    }
)
pieces = st.tuples(st.sampled_from(ODD_BYTES), st.sampled_from(ODD_BYTES), st.booleans())


class Tailing(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="tail-props-"))
        self.dir = self.root / "log"
        self.gone = self.root / "gone"  # where deleted files go when their inodes are kept
        self.dir.mkdir()
        self.gone.mkdir()
        self.keep_inodes = False
        self.path = self.dir / "app.log"
        self.dot1 = self.dir / "app.log.1"
        self.path.write_bytes(b"")
        self.generations = [Generation()]
        self.serial = 0
        self.stored: list[str] = []
        self.state: FileState | None = None
        self.running = None  # a poll left half-way (a generator), committing batch by batch
        self.exact = False

    @initialize(exact=st.booleans())
    def scenario(self, exact):
        """Half the scenarios are exact: every poll runs to its end and deleted files keep their
        inodes (moved out of the directory), so none is reused; there the model tells exactly
        how many lines of each generation are stored. The others crash, leave polls half-way,
        change the file during a poll, and let the file system give a new file the inode of a
        deleted one, as it does on a real node."""
        self.exact = self.keep_inodes = exact

    def delete(self, path: Path) -> None:
        if self.keep_inodes:
            os.link(path, self.gone / f"{self.token('gone').decode()}")
        path.unlink()

    # -- the writer ------------------------------------------------------------------------

    def token(self, kind: str) -> bytes:
        self.serial += 1
        return f"{kind}{self.serial}".encode()

    def write(self, data: bytes) -> None:
        with open(self.path, "ab") as f:
            f.write(data)
        self.generations[-1].content += data

    def line(self, piece: tuple[bytes, bytes, bool]) -> bytes:
        odd, end, crlf = piece
        return self.token("L") + odd + b" text" + end + (b"\r\n" if crlf else b"\n")

    @rule(lines=st.lists(pieces, min_size=1, max_size=4))
    def append_lines(self, lines):
        self.write(b"".join(self.line(piece) for piece in lines))

    @rule(odd=st.sampled_from(ODD_BYTES))
    def append_partial_line(self, odd):
        self.write(self.token("P") + odd)

    @precondition(lambda self: self.generations[-1].tail())
    @rule(crlf=st.booleans())
    def complete_the_partial_line(self, crlf):
        self.write(self.token("C") + (b"\r\n" if crlf else b"\n"))

    def leave_dot1(self) -> None:
        """Drop app.log.1 (logrotate's ``rotate 1``)."""
        if self.dot1.exists():
            self.delete(self.dot1)
        for generation in self.generations:
            generation.at_dot1 = False

    def new_generation(self, content: bytes = b"", *, same_inode: bool = False) -> None:
        """A new generation; on the same inode (truncated, rewritten in place), a stored state
        at offset 0 without a first line names it as well as the last one: it is followed."""
        info = self.path.stat()
        followed = (
            same_inode
            and self.state is not None
            and (self.state.device, self.state.inode) == (info.st_dev, info.st_ino)
            and (self.state.offset, self.state.first_line_hash) == (0, "")
        )
        self.generations.append(Generation(bytearray(content), polled=followed))

    @rule()
    def rename_rotate(self):
        self.leave_dot1()
        os.rename(self.path, self.dot1)
        self.path.write_bytes(b"")  # logrotate's create; the writer reopens at once
        old = self.generations[-1]
        old.ended, old.at_dot1 = "rotated", True
        self.new_generation()

    @rule()
    def copytruncate(self):
        self.leave_dot1()
        shutil.copyfile(self.path, self.dot1)
        os.truncate(self.path, 0)
        old = self.generations[-1]
        old.ended, old.at_dot1 = "copied", True
        self.new_generation(same_inode=True)

    @rule(in_place=st.booleans(), lines=st.lists(pieces, max_size=3), partial=st.booleans())
    def replace(self, in_place, lines, partial):
        content = b"".join(self.line(piece) for piece in lines)
        content += self.token("R") if partial or not lines else b""
        if in_place:  # the same inode, rewritten
            with open(self.path, "r+b") as f:
                f.truncate(0)
                f.write(content)
        else:  # another file renamed over it
            fresh = self.dir / "app.log.new"
            fresh.write_bytes(content)
            if self.keep_inodes:
                os.link(self.path, self.gone / self.token("gone").decode())
            os.replace(fresh, self.path)
        self.generations[-1].ended = "replaced"
        self.new_generation(content, same_inode=in_place)

    # -- the tailer and the store ----------------------------------------------------------

    def commit(self, batch) -> None:
        assert batch.path == str(self.path)
        assert batch.state.path == str(self.path)
        self.stored += batch.lines
        self.state = batch.state

    def stop_running(self) -> None:
        if self.running is not None:
            self.running.close()
            self.running = None

    @rule(limits=limits, crash_before=st.one_of(st.none(), st.integers(0, 3)))
    def poll(self, limits, crash_before):
        """Read what is new and store it, batch by batch; with ``crash_before``, the process
        dies before committing that batch (the ones before it are stored)."""
        self.stop_running()
        for n, batch in enumerate(read_new(str(self.path), self.state, **limits)):
            if n == crash_before and not self.exact:
                return
            self.commit(batch)
        current = self.generations[-1]
        current.polled = True
        current.read = len(current.complete())
        current.first_line_polled |= current.read > 0
        for generation in self.generations[:-1]:
            if generation.at_dot1 and (
                (generation.ended == "rotated" and generation.polled)
                or (generation.ended == "copied" and generation.first_line_polled)
            ):
                generation.finished = True

    @precondition(lambda self: not self.exact)
    @rule(
        limits=limits,
        after=st.integers(1, 3),
        change=st.sampled_from(["append", "rotate", "copytruncate", "rewrite", "replace"]),
        lines=st.lists(pieces, min_size=1, max_size=3),
    )
    def poll_while_the_file_changes(self, limits, after, change, lines):
        """A poll whose caller is slow to store a batch: the file changes meanwhile."""
        self.stop_running()
        batches = read_new(str(self.path), self.state, **limits)
        for _ in range(after):
            batch = next(batches, None)
            if batch is not None:
                self.commit(batch)
        if change == "append":
            self.append_lines(lines)
        elif change == "rotate":
            self.rename_rotate()
        elif change == "copytruncate":
            self.copytruncate()
        else:
            self.replace(change == "rewrite", lines, False)
        for batch in batches:
            self.commit(batch)

    @precondition(lambda self: not self.exact)
    @rule(limits=limits)
    def start_a_poll(self, limits):
        """A poll whose batches are committed one per step, the writer going on meanwhile."""
        self.stop_running()
        self.running = read_new(str(self.path), self.state, **limits)

    @precondition(lambda self: self.running is not None)
    @rule()
    def commit_next_batch(self):
        batch = next(self.running, None)  # None once it is over (the rule stays enabled, so
        if batch is not None:  # that which rules run never depends on what the tailer did)
            self.commit(batch)

    @rule()
    def restart(self):
        """The process restarts: only the store (lines and state) is left."""
        self.stop_running()

    # -- what must hold --------------------------------------------------------------------

    def stored_per_generation(self) -> list[int]:
        """How many lines of each generation are stored, checking they are prefixes in order."""
        where: dict[str, tuple[int, int]] = {}
        for g, generation in enumerate(self.generations):
            lines = generation.complete()
            if generation.ended in ("rotated", "copied") and generation.tail():
                lines.append(decoded(generation.tail()))
            for i, text in enumerate(lines):
                assert text not in where, f"the model wrote {text!r} twice"
                where[text] = (g, i)
        counts = [0] * len(self.generations)
        last = (-1, -1)
        for text in self.stored:
            assert text in where, f"stored {text!r}, which was never written as a line"
            g, i = where[text]
            assert (g, i) > last, f"stored {text!r} twice or out of order: {self.stored}"
            assert i == counts[g], f"line {i} of generation {g} stored before line {counts[g]}"
            counts[g] += 1
            last = (g, i)
        current = self.generations[-1]
        assert counts[-1] <= len(current.complete()), "the current file's partial line stored"
        return counts

    @invariant()
    def each_line_is_stored_at_most_once_in_order(self):
        self.stored_per_generation()

    def teardown(self):
        try:
            self.stop_running()
            self.poll({"batch_lines": 10_000, "batch_bytes": 4 << 20, "read_size": 1 << 20}, None)
            counts = self.stored_per_generation()
            for g, (generation, count) in enumerate(zip(self.generations, counts, strict=True)):
                complete = len(generation.complete())
                if generation.ended is None:
                    expected = complete
                elif generation.finished:  # the unterminated end comes too, as it was left
                    expected = complete + bool(generation.tail())
                else:  # gone before a poll could see the rest
                    expected = generation.read
                what = f"generation {g} ({generation.ended or 'current'}, {complete} lines)"
                if self.exact:
                    assert count == expected, f"{what}: {count} lines stored, not {expected}"
                else:  # a partial poll may have stored more, never less
                    assert count >= min(expected, complete), f"{what}: {count} lines stored"
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


Tailing.TestCase.settings = settings(
    # About 5 s; NODEKEEPER_TAIL_EXAMPLES=20000 for a long search (about 5 minutes).
    max_examples=int(os.environ.get("NODEKEEPER_TAIL_EXAMPLES", "300")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_every_complete_line_is_stored_exactly_once_in_order = Tailing.TestCase
