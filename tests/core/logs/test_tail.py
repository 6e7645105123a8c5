"""The log tailer on real files: restarts, rename rotations, copytruncates, replacements,
partial lines, bytes that are not UTF-8, CRLF, batch limits, bounded memory, unreadable files."""

from __future__ import annotations

import os
import shutil
import tracemalloc
from pathlib import Path

import pytest

from core.collect.logs.tail import Batch, FileState, LogUnreadable, read_new
from core.errors import NodekeeperError


def read(path: Path, state: FileState | None, **limits) -> tuple[list[str], FileState | None]:
    """Every line read_new yields and the state after the last batch (``state`` if none)."""
    lines: list[str] = []
    for batch in read_new(str(path), state, **limits):
        lines += batch.lines
        state = batch.state
    return lines, state


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "auth.log"


# -- reading and resuming ---------------------------------------------------------------------


def test_a_first_read_returns_every_complete_line_and_where_it_stopped(log):
    log.write_bytes(b"one\ntwo\n")
    batches = list(read_new(str(log), None))
    info = log.stat()
    assert [b.lines for b in batches] == [["one", "two"]]
    state = batches[0].state
    assert (state.path, state.device, state.inode, state.offset) == (
        str(log), info.st_dev, info.st_ino, 8,
    )  # fmt: skip
    assert len(state.first_line_hash) == 64 and batches[0].rotated_from is None


def test_a_restart_resumes_at_the_stored_offset(log):
    log.write_bytes(b"one\ntwo\n")
    _, state = read(log, None)
    append(log, b"three\nfour\n")
    lines, after = read(log, state)
    assert lines == ["three", "four"]
    assert after.offset == log.stat().st_size


def test_nothing_new_yields_no_batch(log):
    log.write_bytes(b"one\n")
    _, state = read(log, None)
    assert list(read_new(str(log), state)) == []


def test_a_last_line_without_its_newline_waits_for_it(log):
    log.write_bytes(b"one\ntw")
    lines, state = read(log, None)
    assert lines == ["one"] and state.offset == 4  # before the partial line
    append(log, b"o\n")
    assert read(log, state)[0] == ["two"]


def test_a_file_with_no_complete_line_yet_is_announced_without_a_hash(log):
    log.write_bytes(b"partial")
    batches = list(read_new(str(log), None))
    assert [b.lines for b in batches] == [[]]
    assert (batches[0].state.offset, batches[0].state.first_line_hash) == (0, "")
    append(log, b" line\nnext\n")
    lines, state = read(log, batches[0].state)
    assert lines == ["partial line", "next"] and state.first_line_hash


def test_empty_lines_are_kept_so_that_positions_stay_exact(log):
    log.write_bytes(b"a\n\n\nb\n")
    assert read(log, None)[0] == ["a", "", "", "b"]


def test_a_missing_file_yields_nothing(log):
    assert list(read_new(str(log), None)) == []
    log.write_bytes(b"one\n")
    _, state = read(log, None)
    log.unlink()
    assert list(read_new(str(log), state)) == []


# -- rename rotation --------------------------------------------------------------------------


def rotate(log: Path, new_content: bytes = b"") -> Path:
    rotated = log.with_name(log.name + ".1")
    os.rename(log, rotated)
    log.write_bytes(new_content)
    return rotated


def test_a_rename_rotation_finishes_the_old_file_before_the_new_one(log):
    log.write_bytes(b"one\n")
    _, state = read(log, None)
    append(log, b"two\n")  # written after the last read, before the rotation
    rotated = rotate(log, b"three\n")
    batches = list(read_new(str(log), state))
    assert [(b.lines, b.rotated_from) for b in batches] == [
        (["two"], str(rotated)),
        (["three"], None),
    ]
    # The batch that reaches the old file's end moves the state on to the new file (at 0): the
    # old one is done, and its inode may be reused once it is deleted.
    new_inode = log.stat().st_ino
    assert (batches[0].state.inode, batches[0].state.offset) == (new_inode, 0)
    assert (batches[1].state.inode, batches[1].state.offset) == (new_inode, 6)


def test_a_crash_while_finishing_a_rotated_file_resumes_in_it(log):
    log.write_bytes(b"one\n")
    _, state = read(log, None)
    append(log, b"two\nthree\n")
    rotate(log, b"four\n")
    first = next(iter(read_new(str(log), state, batch_lines=1)))
    assert first.lines == ["two"]  # stored; the process dies before the next commit
    assert (first.state.inode, first.state.offset) == (state.inode, 8)  # still the old file
    assert read(log, first.state)[0] == ["three", "four"]


def test_a_rotated_file_is_found_by_its_inode_under_another_name(log):
    log.write_bytes(b"one\n")
    _, state = read(log, None)
    append(log, b"two\n")
    os.rename(log, log.with_name("auth.log-20261205"))  # dateext
    log.write_bytes(b"three\n")
    assert read(log, state)[0] == ["two", "three"]


def test_when_the_rotated_file_is_gone_the_new_one_is_read_from_the_start(log):
    log.write_bytes(b"one\n")
    _, state = read(log, None)
    rotate(log, b"two\n").unlink()
    assert read(log, state)[0] == ["two"]


def test_before_the_new_file_exists_the_rotated_one_is_read_and_its_partial_line_waits(log):
    log.write_bytes(b"one\n")
    _, state = read(log, None)
    append(log, b"two\nthr")
    rotated = log.with_name("auth.log.1")
    os.rename(log, rotated)
    lines, state = read(log, state)
    assert lines == ["two"] and state.inode == rotated.stat().st_ino
    append(rotated, b"ee\n")  # the writer had not reopened yet
    log.write_bytes(b"four\n")
    assert read(log, state)[0] == ["three", "four"]


def test_the_unterminated_end_of_a_rotated_file_is_taken_once_the_new_file_exists(log):
    log.write_bytes(b"one\n")
    _, state = read(log, None)
    append(log, b"cut sho")
    rotate(log, b"next\n")
    lines, state = read(log, state)
    assert lines == ["cut sho", "next"]
    assert read(log, state)[0] == []


# -- copytruncate and replacement -------------------------------------------------------------


def copytruncate(log: Path) -> None:
    shutil.copyfile(log, log.with_name(log.name + ".1"))
    os.truncate(log, 0)


def test_a_file_shorter_than_the_offset_is_read_again_from_the_start(log):
    log.write_bytes(b"one\ntwo\n")
    _, state = read(log, None)
    os.truncate(log, 0)
    append(log, b"new\n")
    lines, after = read(log, state)
    assert lines == ["new"]
    assert (after.inode, after.offset) == (state.inode, 4)


def test_a_copytruncate_finishes_the_copy_first(log):
    log.write_bytes(b"one\n")
    _, state = read(log, None)
    append(log, b"two\n")  # written between the last read and the copy
    copytruncate(log)
    append(log, b"three\n")
    batches = list(read_new(str(log), state))
    assert [(b.lines, b.rotated_from) for b in batches] == [
        (["two"], str(log) + ".1"),
        (["three"], None),
    ]


def test_a_copytruncated_file_that_grew_past_the_offset_again_is_told_by_its_first_line(log):
    log.write_bytes(b"one\n")
    _, state = read(log, None)
    append(log, b"two\n")
    copytruncate(log)
    append(log, b"a longer first line\n")  # longer than the stored offset already
    assert read(log, state)[0] == ["two", "a longer first line"]


def test_a_file_rewritten_in_place_with_another_first_line_is_read_from_the_start(log):
    log.write_bytes(b"one\n")
    _, state = read(log, None)
    with open(log, "r+b") as f:  # same inode, new content, longer than the offset
        f.truncate(0)
        f.write(b"other\nlines\n")
    assert log.stat().st_ino == state.inode
    lines, after = read(log, state)
    assert lines == ["other", "lines"]
    assert after.first_line_hash != state.first_line_hash


def test_a_file_replaced_by_another_is_read_from_the_start(log, tmp_path):
    log.write_bytes(b"one\n")
    _, state = read(log, None)
    fresh = tmp_path / "fresh"
    fresh.write_bytes(b"other\n")
    os.replace(fresh, log)
    assert read(log, state)[0] == ["other"]


def test_a_file_rewritten_while_a_batch_is_being_stored_is_not_read_on_from_the_middle(log):
    log.write_bytes(b"one\ntwo\nthree\n")
    batches = read_new(str(log), None, batch_lines=1, read_size=4)
    first = next(batches)
    with open(log, "r+b") as f:  # the caller commits slowly; the file is replaced meanwhile
        f.truncate(0)
        f.write(b"a new file, longer\nthan the old one\n")
    assert [b.lines for b in batches] == []  # the rest comes from the next read_new
    assert read(log, first.state)[0] == ["a new file, longer", "than the old one"]


def test_a_new_file_rewritten_while_the_old_one_is_being_finished_is_read_once(log):
    log.write_bytes(b"one\n")
    _, state = read(log, None)
    append(log, b"two\nthree\n")
    rotate(log, b"first\n")
    batches = read_new(str(log), state, batch_lines=1)
    stored = next(batches)
    assert stored.lines == ["two"]
    with open(log, "r+b") as f:  # while "two" is being stored, the new file is rewritten
        f.truncate(0)
        f.write(b"other first line\nsecond\n")
    lines = stored.lines
    for batch in batches:
        lines, state = lines + batch.lines, batch.state
    lines += read(log, state)[0]
    assert lines == ["two", "three", "other first line", "second"]


# -- contents ---------------------------------------------------------------------------------


def test_bytes_that_are_not_utf8_become_replacement_characters_and_reading_goes_on(log):
    log.write_bytes(b"ok \xff\xfe end\n\xe2\x82\ncaf\xc3\xa9\nlast\n")
    assert read(log, None)[0] == ["ok \ufffd\ufffd end", "\ufffd", "café", "last"]


def test_crlf_lines_lose_their_carriage_return_and_a_lone_one_stays(log):
    log.write_bytes(b"one\r\ntwo\rstill two\r\nthree\n")
    assert read(log, None)[0] == ["one", "two\rstill two", "three"]


def test_a_crlf_split_across_reads_is_still_one_line_end(log):
    log.write_bytes(b"one\r\ntwo\r\n")
    assert read(log, None, read_size=1)[0] == ["one", "two"]


def test_a_line_longer_than_max_line_keeps_its_start_and_the_next_lines_follow(log):
    log.write_bytes(b"x" * 10_000 + b"\nnext\n")
    for read_size in (1 << 20, 64):  # whole in one read, or spread over many
        lines, state = read(log, None, max_line=100, read_size=read_size)
        assert lines == ["x" * 100, "next"] and state.offset == 10_006


# -- batches ----------------------------------------------------------------------------------


def test_batches_hold_at_most_batch_lines_and_each_state_resumes_after_its_lines(log):
    log.write_bytes(b"".join(b"line %d\n" % i for i in range(25)))
    batches = list(read_new(str(log), None, batch_lines=10))
    assert [len(b.lines) for b in batches] == [10, 10, 5]
    for batch in batches[:-1]:
        rest = read(log, batch.state)[0]
        assert rest[0] == f"line {int(batch.lines[-1].split()[1]) + 1}"


def test_batches_hold_at_most_batch_bytes_and_a_longer_line_goes_alone(log):
    log.write_bytes(b"aaaa\nbbbb\n" + b"c" * 50 + b"\ndddd\n")
    batches = list(read_new(str(log), None, batch_bytes=12))
    assert [b.lines for b in batches] == [["aaaa", "bbbb"], ["c" * 50], ["dddd"]]
    assert [b.state.offset for b in batches] == [10, 61, 66]


def test_a_50_mb_file_is_read_with_bounded_memory(log):
    line = b"Dec  5 01:02:03 node sshd[4242]: Failed password for root from 203.0.113.9\n"
    block = line * ((1 << 20) // len(line))
    with open(log, "wb") as f:
        for _ in range(50):
            f.write(block)
    size = log.stat().st_size
    tracemalloc.start()
    try:
        count = 0
        for batch in read_new(str(log), None):
            count += len(batch.lines)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == size // len(line)
    assert peak < 16 << 20, f"peak {peak >> 20} MiB for a {size >> 20} MiB file"


# -- what cannot be read ----------------------------------------------------------------------


def test_a_file_that_cannot_be_read_raises_an_error_naming_it(log):
    log.write_bytes(b"secret\n")
    log.chmod(0)
    euid = os.geteuid()
    if euid == 0:
        os.seteuid(65534)  # root reads anything: read as nobody
    try:
        with pytest.raises(LogUnreadable, match="permission denied") as error:
            list(read_new(str(log), None))
    finally:
        if euid == 0:
            os.seteuid(0)
    assert error.value.path == str(log) and str(log) in str(error.value)
    assert isinstance(error.value, NodekeeperError)


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_something_other_than_a_regular_file_raises_without_blocking(log, kind):
    if kind == "directory":
        log.mkdir()
    else:
        os.mkfifo(log)
    with pytest.raises(LogUnreadable, match="not a regular file"):
        list(read_new(str(log), None))


def test_batch_and_state_are_plain_values(log):
    state = FileState(str(log), 1, 2, 3, "")
    assert Batch(str(log), ["x"], state) == Batch(str(log), ["x"], state, None)
    with pytest.raises(AttributeError):
        state.offset = 4  # type: ignore[misc]
