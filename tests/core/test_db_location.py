"""Where the database is: what only reads never creates one, what writes creates it and says
where, empty and unsupported locations, a missing driver, and the console without a terminal."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from core import StoreError, open_store
from core.cli import main
from core.settings import ENV_VAR, default_db_path, resolve_location
from tests.perf.tui_pty import PtyApp, nodekeeper, plain

ROOT = Path(__file__).resolve().parents[2]
PROFILE_DOCUMENT = '[[profiles]]\nname = "p1"\ndescription = "from a document"\n'

READ_COMMANDS = [
    ["list", "containers"],
    ["show", "container", "web1"],
    ["export", "config"],
    ["db", "status"],
    ["db", "check"],
    ["db", "stats"],
    ["db", "cleanup"],
    ["delete", "profile", "p1"],
    ["services", "expire"],
]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_a_command_that_only_reads_a_missing_database_says_so_and_creates_nothing(
    capsys, tmp_path, command
):
    missing = tmp_path / "nonexist" / "dir" / "y.db"
    code, out, err = run(capsys, *command, "--db", str(missing))
    assert code == 1 and out == ""
    assert err == f"error: database file {missing} does not exist (nothing to read; opening it " \
        "to write creates it)\n"  # fmt: skip
    assert not (tmp_path / "nonexist").exists()


def test_the_library_refuses_a_missing_file_only_when_told_not_to_create(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        open_store(tmp_path / "a.db", create=False)
    assert not (tmp_path / "a.db").exists()
    with open_store(tmp_path / "a.db") as store:  # scripts: open_store() creates, as before
        assert store.created
    with open_store(tmp_path / "a.db", create=False) as store:
        assert not store.created


def test_an_empty_file_is_not_read_as_a_database_nor_given_a_schema_by_a_read(capsys, tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    code, _, err = run(capsys, "list", "containers", "--db", str(empty))
    assert code == 1 and err == f"error: {empty} holds no nodekeeper database (nothing to read)\n"
    assert empty.stat().st_size == 0


@pytest.mark.postgresql
def test_a_read_of_an_empty_postgresql_database_makes_no_schema(capsys, pg_url):
    code, _, err = run(capsys, "list", "containers", "--db", pg_url)
    assert code == 1 and "holds no nodekeeper database (nothing to read)" in err
    engine = create_engine(pg_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


@pytest.fixture
def lxc_dir(tmp_path) -> Path:
    config = tmp_path / "lxc" / "c1" / "config"
    config.parent.mkdir(parents=True)
    config.write_text("lxc.uts.name = c1\nlxc.arch = x86_64\n")
    return config.parent.parent


@pytest.mark.parametrize(
    "command",
    [["apply", "{doc}"], ["import-lxc", "{lxc}"], ["demo", "--containers", "2", "--days", "1"],
     ["collect", "--once"], ["db", "upgrade"]],
    ids=lambda c: c[0] if c[0] != "db" else "db upgrade",
)  # fmt: skip
def test_a_command_that_writes_creates_the_database_and_says_where_once(
    capsys, tmp_path, lxc_dir, command
):
    doc = tmp_path / "doc.toml"
    doc.write_text(PROFILE_DOCUMENT)
    path = tmp_path / "new" / "nk.db"
    argv = [a.format(doc=doc, lxc=lxc_dir) for a in command]
    code, _, err = run(capsys, *argv, "--db", str(path))
    assert code == 0, err
    assert err.count("created a new database at") == 1
    assert f"created a new database at {path}\n" in err
    with open_store(path, create=False) as store:  # a nodekeeper database now
        assert not store.created
    _, _, err = run(capsys, *argv, "--db", str(path))  # again: nothing new to say
    assert "created a new database" not in err


def test_the_console_creates_the_database_and_says_where_once(tmp_path):
    path = tmp_path / "tui" / "nk.db"
    with PtyApp(nodekeeper("--db", str(path), "--no-collect"), cols=100, rows=30) as app:
        app.wait_for(f"created a new database at {path}", "System", timeout=60)
        assert app.stop() == 0
    assert plain(bytes(app.raw)).count("created a new database at") == 1  # all it wrote
    with open_store(path, create=False):
        pass


def test_an_empty_db_option_is_an_error(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "--db", "", "list", "containers")
    assert code == 1 and out == ""
    assert err.startswith("error: the database location is empty: give a file path")
    with pytest.raises(StoreError, match="location is empty"):
        resolve_location("")


def test_an_empty_environment_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "")
    assert resolve_location() == str(default_db_path())
    monkeypatch.setenv(ENV_VAR, "/srv/nk.db")
    assert resolve_location() == "/srv/nk.db"


@pytest.mark.parametrize(
    "url",
    ["mysql://user@host/db", "postgres://user@host/db", "postgresql+asyncpg://u@h/db",
     "sqlite+foo:///nk.db"],
)  # fmt: skip
def test_an_unsupported_scheme_names_the_supported_ones(capsys, url):
    code, _, err = run(capsys, "list", "containers", "--db", url)
    assert code == 1
    scheme = url.split("://")[0]
    assert err == (
        f"error: unsupported database URL scheme {scheme!r}: a location is a file path, "
        ":memory:, sqlite:///PATH or postgresql://USER@HOST/DB (postgresql+psycopg)\n"
    )


@pytest.fixture
def python_without_psycopg(tmp_path, monkeypatch) -> list[str]:
    """This interpreter with every installed package but psycopg: ``python -S`` (no site, so no
    site-packages) with a PYTHONPATH of links to each site-packages entry except psycopg's."""
    import sqlalchemy

    site_packages = Path(sqlalchemy.__file__).parents[1]
    farm = tmp_path / "site-without-psycopg"
    farm.mkdir()
    for entry in site_packages.iterdir():
        if not entry.name.lower().startswith("psycopg") and not entry.name.endswith(".pth"):
            (farm / entry.name).symlink_to(entry)
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}{os.pathsep}{farm}")
    return [sys.executable, "-S"]


def test_postgresql_without_its_driver_names_the_extra_to_install(python_without_psycopg):
    probe = subprocess.run(
        [*python_without_psycopg, "-c", "import sqlalchemy, core; import psycopg"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "No module named 'psycopg'" in probe.stderr  # the driver is really missing there
    result = subprocess.run(
        [*python_without_psycopg, "-m", "core.cli", "list", "containers",
         "--db", "postgresql://postgres@127.0.0.1/test"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == (
        "error: cannot use database postgresql+psycopg://postgres@127.0.0.1/test: the PostgreSQL "
        "driver is not installed (No module named 'psycopg'); install nodekeeper's postgresql "
        "extra: pip install 'nodekeeper[postgresql]'\n"
    )


def test_the_console_without_a_terminal_exits_2_at_once(tmp_path):
    path = tmp_path / "nk.db"
    out = tmp_path / "out"
    with out.open("wb") as stdout:
        result = subprocess.run(
            nodekeeper("--db", str(path)), stdin=subprocess.DEVNULL, stdout=stdout,
            stderr=subprocess.PIPE, text=True, timeout=60, cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == (
        "error: the console needs a terminal (standard input and error are not one); use "
        "`ssh -t` for a remote console, or a command such as `nodekeeper list containers`\n"
    )
    assert out.read_bytes() == b""  # no escape codes
    assert not path.exists()  # nor a database made for a console that cannot run


@pytest.mark.parametrize(
    ("stdin_tty", "stderr_tty", "message"),
    [
        (False, True, "standard input is not one"),  # `nodekeeper </dev/null` in a terminal
        (True, False, "standard error is not one"),  # `nodekeeper 2>log` in a terminal
    ],
)
def test_the_console_without_a_terminal_names_the_stream_that_is_not_one(
    tmp_path, stdin_tty, stderr_tty, message
):
    master, slave = os.openpty()
    log = tmp_path / "stderr"
    try:
        with open(os.devnull, "rb") as devnull, log.open("wb") as stderr_file:
            result = subprocess.run(
                nodekeeper("--db", str(tmp_path / "nk.db")),
                stdin=slave if stdin_tty else devnull, stdout=slave,
                stderr=slave if stderr_tty else stderr_file, timeout=60, cwd=tmp_path,
            )  # fmt: skip
        os.close(slave)
        slave = -1
        printed = _read_all(master) if stderr_tty else log.read_text()
    finally:
        os.close(master)
        if slave != -1:
            os.close(slave)
    assert result.returncode == 2
    assert f"error: the console needs a terminal ({message}); use `ssh -t`" in printed
    assert not (tmp_path / "nk.db").exists()


def _read_all(master: int) -> str:
    """What was written to a pty whose slave side is closed (Linux then reads EIO at the end)."""
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return plain(b"".join(chunks)).replace("\r\n", "\n")


def test_a_refused_postgresql_connection_is_one_line(capsys):
    with socket.socket() as closed:  # bound, never listening: the kernel refuses connections
        closed.bind(("127.0.0.1", 0))
        url = f"postgresql+psycopg://nodekeeper@127.0.0.1:{closed.getsockname()[1]}/nk"
        code, out, err = run(capsys, "--db", url, "list", "containers")
    assert (code, out) == (1, "")
    assert err.startswith(f"error: cannot open database {url}: ")
    assert "Connection refused" in err
    assert "Is the server running" in err  # libpq's hint, kept, on the same line
    assert err.count("\n") == 1 and err.endswith("\n")


def test_a_newline_in_an_error_cannot_fake_a_line_of_its_own(capsys, tmp_path):
    path = tmp_path / "missing\nerror: forged" / "nk.db"
    code, _, err = run(capsys, "--db", str(path), "list", "containers")
    assert code == 1
    assert err == (
        f"error: database file {tmp_path}/missing\\nerror: forged/nk.db does not exist "
        "(nothing to read; opening it to write creates it)\n"
    )


def test_a_document_error_keeps_one_problem_a_line(capsys, tmp_path):
    document = tmp_path / "two.toml"
    document.write_text('[[profiles]]\nname = "p1"\nx = 1\n[[profiles]]\nname = "p2"\ny = 2\n')
    code, _, err = run(capsys, "--db", str(tmp_path / "nk.db"), "apply", str(document))
    assert code == 1
    assert err.startswith(f"error: {document} is invalid:\n  ")
    assert len(err.splitlines()) == 3  # the header, then each problem


def test_a_failed_command_removes_the_database_it_made_and_no_other(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[containers]]\nname = "web1"\nprofiles = ["nosuch"]\n')
    made = tmp_path / "new.db"
    code, _, err = run(capsys, "--db", str(made), "apply", str(bad))
    assert code == 1 and "nosuch" in err and "created" not in err
    assert not made.exists()  # made for the refused document, gone with it
    # An empty file that was there before is the user's: a failure leaves it, mode and all.
    mine = tmp_path / "mine.db"
    mine.touch(mode=0o640)
    code, _, err = run(capsys, "--db", str(mine), "apply", str(bad))
    assert code == 1 and mine.exists() and mine.stat().st_mode & 0o777 == 0o640


def test_an_in_memory_store_is_not_announced_as_created(capsys, tmp_path):
    doc = tmp_path / "ok.toml"
    doc.write_text('[[profiles]]\nname = "p1"\n')
    code, out, err = run(capsys, "--db", ":memory:", "apply", str(doc))
    assert (code, out, err) == (0, "created profile p1\n", "")
