"""import-lxc against hostile directories: what a config may make nodekeeper read, what an
error may show, and that a broken container never stops the others (issue 10, section 3).

Everything here is real: FIFOs, sockets, /dev/null, symlink and hard-link loops, sparse files;
the end-to-end tests run the nodekeeper command in a subprocess (with a timeout, so a read
that blocks fails the test instead of hanging it).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import open_store
from core.importers import ParseError, parse_container
from core.importers import lxc as lxc_module
from core.importers.lxc import MAX_CONFIG_BYTES, MAX_INCLUDE_DEPTH, MAX_LINE_BYTES, MAX_PATH_BYTES

from .test_import_lxc import container, write

SECRET = "s3cr3t-hash-9f8e7d"  # stands in for a line of /etc/shadow: must never be shown


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A real FIFO. Should a reader open it (a bug: that blocks forever), a watchdog opens
    its write end after a few seconds, so the reader gets end-of-file and the test fails on
    its assertions instead of hanging the suite."""
    path = tmp_path / "pipe.conf"
    os.mkfifo(path)
    done = threading.Event()

    def unblock_a_reader() -> None:
        if done.wait(5):
            return
        while not done.is_set():
            with contextlib.suppress(OSError):  # ENXIO: nobody is reading
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            done.wait(0.1)

    watchdog = threading.Thread(target=unblock_a_reader, daemon=True)
    watchdog.start()
    yield path
    done.set()
    watchdog.join()


# ---------------------------------------------------------------------------------------------
# only regular files are read


def test_a_config_that_is_a_fifo_is_refused_without_opening_it(tmp_path: Path, fifo: Path):
    (tmp_path / "web1").mkdir()
    (tmp_path / "web1" / "config").symlink_to(fifo)
    with pytest.raises(ParseError, match=r"web1/config: is a FIFO: only regular files are read"):
        parse_container(tmp_path / "web1")


def test_an_included_fifo_is_an_error_naming_the_include_line(tmp_path: Path, fifo: Path):
    d = container(tmp_path, "web1", f"lxc.uts.name = web1\nlxc.include = {fifo}\n")
    with pytest.raises(ParseError) as info:
        parse_container(d)
    assert (info.value.path, info.value.line) == (d / "config", 2)
    assert f"lxc.include: {fifo} is a FIFO: only regular files are read" in str(info.value)


def test_a_fifo_among_the_conf_files_of_an_included_directory_is_an_error(
    tmp_path: Path, fifo: Path
):
    write(tmp_path / "conf.d" / "10-a.conf", "lxc.cap.drop = first\n")
    (tmp_path / "conf.d" / "20-pipe.conf").symlink_to(fifo)
    d = container(tmp_path, "web1", "lxc.include = ../conf.d\n")
    with pytest.raises(ParseError, match=r"20-pipe.conf is a FIFO"):
        parse_container(d)


def test_an_included_device_is_refused(tmp_path: Path):
    d = container(tmp_path, "web1", "lxc.include = /dev/null\n")
    with pytest.raises(ParseError, match=r"config:1: lxc.include: /dev/null is a character device"):
        parse_container(d)


def test_an_included_socket_is_refused(tmp_path: Path):
    path = tmp_path / "s.conf"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        d = container(tmp_path, "web1", f"lxc.include = {path}\n")
        with pytest.raises(ParseError, match=r"s.conf is a socket: only regular files are read"):
            parse_container(d)


# ---------------------------------------------------------------------------------------------
# sizes, depth and loops


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(tmp_path: Path):
    big = tmp_path / "big.conf"
    with open(big, "wb") as handle:
        handle.truncate(MAX_CONFIG_BYTES + 1)  # sparse: no disk used
    d = container(tmp_path, "web1", f"lxc.include = {big}\n")
    with pytest.raises(ParseError, match=rf"big.conf is larger than {MAX_CONFIG_BYTES >> 20} MiB"):
        parse_container(d)


def test_the_limit_counts_the_config_and_all_its_includes_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # Including one file twice is no loop, but a few such levels would read it 2**N times.
    monkeypatch.setattr(lxc_module, "MAX_CONFIG_BYTES", 4096)
    monkeypatch.setattr(lxc_module, "OPEN_COST", 0)  # bytes of lines only, here
    write(tmp_path / "part.conf", "# padding\n" * 250)  # 2500 bytes: fits once, not twice
    d = container(tmp_path, "web1", "lxc.include = ../part.conf\nlxc.include = ../part.conf\n")
    with pytest.raises(ParseError, match=r"part.conf:\d+: the config and its includes pass"):
        parse_container(d)


def test_a_directory_of_empty_files_included_on_every_line_runs_into_the_limit(tmp_path: Path):
    """Opening files and listing directories count against the limit too: 2,000 includes of a
    directory of 200 empty *.conf files would open 400,000 files while reading no byte."""
    for n in range(200):
        write(tmp_path / "many" / f"{n:03}.conf", "")
    d = container(tmp_path, "web1", "lxc.include = ../many\n" * 2000)
    opened = []
    real_open = os.open

    def counting_open(path, *args, **kwargs):
        opened.append(path)
        return real_open(path, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lxc_module.os, "open", counting_open)
        with pytest.raises(
            ParseError, match=r"config:\d+: lxc.include: .*the config and its includes pass"
        ):
            parse_container(d)
    assert len(opened) <= MAX_CONFIG_BYTES // lxc_module.OPEN_COST + 1


def test_a_line_longer_than_the_limit_is_an_error_and_one_at_the_limit_is_not(tmp_path: Path):
    value = "x" * (MAX_LINE_BYTES - len("lxc.uts.name = "))
    ok = container(tmp_path, "ok", f"lxc.uts.name = {value}\n")
    assert parse_container(ok).config["lxc.uts.name"] == value
    d = container(tmp_path, "web1", f"lxc.uts.name = web1\nlxc.uts.name = {value}y\n")
    with pytest.raises(ParseError, match=rf"config:2: the line is longer than {MAX_LINE_BYTES}"):
        parse_container(d)


def chain(tmp_path: Path, levels: int) -> Path:
    """A container whose config includes level1.conf, which includes level2.conf, ..."""
    for n in range(1, levels + 1):
        nxt = f"lxc.include = level{n + 1}.conf\n" if n < levels else ""
        write(tmp_path / f"level{n}.conf", f"lxc.cap.drop = cap{n}\n{nxt}")
    return container(tmp_path, "web1", "lxc.include = ../level1.conf\n")


def test_includes_nested_up_to_the_depth_limit_are_read(tmp_path: Path):
    d = chain(tmp_path, MAX_INCLUDE_DEPTH)
    assert parse_container(d).config["lxc.cap.drop"].count("\n") == MAX_INCLUDE_DEPTH - 1


def test_includes_nested_deeper_than_the_limit_are_an_error(tmp_path: Path):
    d = chain(tmp_path, MAX_INCLUDE_DEPTH + 1)
    with pytest.raises(ParseError) as info:
        parse_container(d)
    assert info.value.path == tmp_path / f"level{MAX_INCLUDE_DEPTH}.conf"
    assert f"nested more than {MAX_INCLUDE_DEPTH} includes deep" in str(info.value)


def test_a_hard_link_back_to_an_including_file_is_an_include_loop(tmp_path: Path):
    a = write(tmp_path / "a.conf", "lxc.cap.drop = x\nlxc.include = b.conf\n")
    os.link(a, tmp_path / "b.conf")  # another name, the same file: realpath cannot see it
    d = container(tmp_path, "web1", "lxc.include = ../a.conf\n")
    with pytest.raises(ParseError, match="include loop") as info:
        parse_container(d)
    assert (info.value.path, info.value.line) == (a, 2)


def test_a_symlink_loop_is_an_error_naming_the_include_line(tmp_path: Path):
    (tmp_path / "loop1.conf").symlink_to(tmp_path / "loop2.conf")
    (tmp_path / "loop2.conf").symlink_to(tmp_path / "loop1.conf")
    d = container(tmp_path, "web1", "lxc.include = ../loop1.conf\n")
    with pytest.raises(ParseError, match=r"config:1: lxc.include: .*loop1.conf cannot be read"):
        parse_container(d)


# ---------------------------------------------------------------------------------------------
# bad lines


def test_a_nul_byte_is_an_error_naming_the_file_and_line(tmp_path: Path):
    d = container(tmp_path, "web1", "lxc.uts.name = web1\n")
    (d / "config").write_bytes(b"lxc.uts.name = web1\nlxc.include = a\x00b\n")
    with pytest.raises(ParseError, match=r"config:2: the line contains a NUL byte"):
        parse_container(d)


def test_an_include_path_longer_than_path_max_is_an_error(tmp_path: Path):
    d = container(tmp_path, "web1", "lxc.include = " + "a/" * 3000 + "\n")
    with pytest.raises(ParseError, match=rf"config:1: .*path is longer than {MAX_PATH_BYTES}"):
        parse_container(d)


def test_an_include_path_with_a_too_long_name_is_an_error(tmp_path: Path):
    d = container(tmp_path, "web1", "lxc.include = " + "n" * 300 + ".conf\n")
    with pytest.raises(ParseError, match=r"config:1: lxc.include: .* cannot be read: File name"):
        parse_container(d)


def test_an_interface_index_too_large_for_lxc_is_an_error(tmp_path: Path):
    d = container(tmp_path, "web1", f"lxc.net.{'9' * 5000}.type = veth\n")
    with pytest.raises(ParseError, match=r"config:1: expected lxc.net.<index>.<key>"):
        parse_container(d)


@pytest.mark.parametrize(
    "secret_line",
    [
        f"root:{SECRET}:19000:0:99999:7:::",  # /etc/shadow: no '='
        f"{SECRET} = 1",  # not a dotted key
        f"lxc.arch = {SECRET}",
        f"lxc.net.{SECRET} = 1",
        f"lxc.net.0.{SECRET}!x = 1",
        f"lxc.network.{SECRET} = 1",
        f"lxc.environment = {SECRET}",
        f"lxc.mount.entry = {SECRET}",
        f"lxc.net.0.type = veth\nlxc.net.0.name = {SECRET}!",
        f"lxc.net.0.type = veth\nlxc.net.0.name = {SECRET}\nlxc.net.1.type = veth\n"
        f"lxc.net.1.name = {SECRET}",
        f"lxc.uts.name = {SECRET}\n{SECRET}",
        f"lxc.uts.name = {SECRET}".encode() + b"\xff\xfe\n",
    ],
    ids=lambda line: (line if isinstance(line, str) else line.decode("latin-1")).split()[0][:18],
)
def test_an_error_in_an_included_file_names_file_and_line_and_shows_none_of_it(
    tmp_path: Path, secret_line: str | bytes
):
    shadow = tmp_path / "shadow"
    data = secret_line if isinstance(secret_line, bytes) else f"{secret_line}\n".encode()
    shadow.write_bytes(data)
    d = container(tmp_path, "web1", f"lxc.uts.name = web1\nlxc.include = {shadow}\n")
    with pytest.raises(ParseError) as info:
        parse_container(d)
    assert info.value.path == shadow
    assert info.value.line is not None
    assert str(info.value).startswith(f"{shadow}:{info.value.line}: ")
    assert SECRET not in str(info.value)


# ---------------------------------------------------------------------------------------------
# linear cost, bounded memory (no timing: counted work and traced memory)


def mixed_config(lines: int) -> str:
    """Lines of every kind, many of them on the same mount path or nic key."""
    kinds = [
        "lxc.cap.drop = sys_module",
        "lxc.mount.entry = /srv/d{i} srv none bind 0 0",  # one path: numbered device names
        "lxc.mount.entry = /srv/d{i} srv/d{i} none bind 0 0",
        "lxc.net.0.ipv4.address = 10.0.{j}.{k}/32",  # accumulated into one value
        "lxc.environment = VAR{i}=v",
        "# a comment",
    ]
    head = "lxc.net.0.type = veth\n"
    body = (kinds[i % len(kinds)].format(i=i, j=i >> 8 & 255, k=i & 255) for i in range(lines))
    return head + "\n".join(body) + "\n"


def parser_steps(tmp_path: Path, lines: int) -> int:
    """Python lines executed in the importer while parsing a config of ``lines`` lines."""
    d = container(tmp_path / str(lines), "web1", mixed_config(lines))
    source = lxc_module.__file__
    steps = 0

    def trace(frame, event, _arg):
        nonlocal steps
        if frame.f_code.co_filename != source:
            return None
        steps += event == "line"
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        parse_container(d)
    finally:
        sys.settrace(previous)
    return steps


def test_parsing_work_grows_linearly_with_the_number_of_lines(tmp_path: Path):
    small, large = parser_steps(tmp_path, 3000), parser_steps(tmp_path, 6000)
    assert large / small < 2.05, (small, large)  # quadratic would give ~4


def test_memory_does_not_grow_with_lines_that_leave_nothing_to_keep(tmp_path: Path):
    # Comments and a setting repeated (the last one wins): the result is the same small
    # container whatever the length, so reading must not hold the file (6 MB here).
    text = "# a comment that LXC ignores\nlxc.arch = amd64\n" * 120_000
    d = container(tmp_path, "web1", text)
    tracemalloc.start()
    try:
        info = parse_container(d)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.architecture == "x86_64"
    assert peak < 1 << 20, f"{peak} bytes traced for a {len(text)}-byte config"


# ---------------------------------------------------------------------------------------------
# the command, end to end


def nodekeeper(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from core.cli import main; sys.exit(main())", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_reports_each_hostile_container_and_imports_the_others(
    tmp_path: Path, fifo: Path
):
    db = str(tmp_path / "nk.db")
    lxc = tmp_path / "lxc"
    shadow = write(tmp_path / "shadow", f"root:{SECRET}:19000:0:99999:7:::\n")
    container(lxc, "alpha", "lxc.uts.name = alpha\n")
    container(lxc, "zulu", "lxc.uts.name = zulu\n")
    # Imported once while still good: a failed re-import must leave it as it is.
    container(lxc, "was-good", "lxc.uts.name = was-good\nlxc.start.auto = 1\n")
    assert nodekeeper("import-lxc", str(lxc), "--db", db).returncode == 0

    broken = {
        "secret": f"lxc.include = {shadow}\n",
        "fifo": f"lxc.include = {fifo}\n",
        "self-loop": "lxc.include = config\n",
        "long-path": "lxc.include = " + "a/" * 3000 + "\n",
        "huge-index": f"lxc.net.{'9' * 5000}.type = veth\n",
        "was-good": "lxc.uts.name = was-good\nlxc.start.auto = 0\nlxc.include = /dev/null\n",
    }
    for name, text in broken.items():
        container(lxc, name, text)
    nul = container(lxc, "nul", "")
    (nul / "config").write_bytes(b"lxc.uts.name = a\x00b\n")

    result = nodekeeper("import-lxc", str(lxc), "--db", db)
    assert result.returncode == 1
    assert result.stdout == "0 created, 0 updated, 2 unchanged, 7 failed\n"
    errors = result.stderr.splitlines()
    assert [line.split(":")[1].strip() for line in errors] == sorted([*broken, "nul"])
    assert all(line.startswith("error: ") for line in errors)
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout
    with open_store(db) as store:
        assert store.containers.names() == ["alpha", "was-good", "zulu"]
        assert store.containers.get("was-good").config["lxc.start.auto"] == "1"


def test_the_readme_states_the_limits_the_reader_applies():
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text().split())
    paragraph = readme[readme.index("`import-lxc DIR` reads") :][:1200]
    assert f"{MAX_CONFIG_BYTES >> 20} MiB for a config with all its includes" in paragraph
    assert f"{MAX_LINE_BYTES >> 10} KiB a line" in paragraph
    assert f"{MAX_INCLUDE_DEPTH} nested includes" in paragraph
    assert f"{MAX_PATH_BYTES} bytes an include path" in paragraph
