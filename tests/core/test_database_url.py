"""A fleet's database URL: its password never shown, libpq's own parameters and environment
passed through (sslmode, application_name, PGAPPNAME, PGPASSWORD, the password file)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import text

from core import StoreError, open_store
from core.cli import main
from tests.pg_password_server import PasswordServer

SECRET = "s3cret-Pw-7781"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _with_password(url: str) -> str:
    """``url`` with a password (the local server trusts every connection and ignores it)."""
    return url.replace("postgres@", f"postgres:{SECRET}@", 1)


def test_an_unreachable_database_is_named_without_its_password(capsys):
    url = f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:1/test?connect_timeout=2"
    for argv in (
        ["list", "containers"],
        ["nodes"],
        ["db", "status"],
        ["demo", "--containers", "1"],
    ):
        code, out, err = run(capsys, *argv, "--db", url)
        assert code == 1, argv
        assert SECRET not in out + err, argv
        assert "postgres:***@127.0.0.1:1" in err, argv
    with pytest.raises(StoreError) as caught:
        open_store(url)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


@pytest.mark.postgresql
def test_a_working_database_is_shown_without_its_password(capsys, pg_url):
    url = _with_password(pg_url)
    with open_store(url, node="edge-1") as store:
        assert SECRET not in repr(store) and SECRET not in store.location.display
        store.containers.create("web1")
    for argv in (["db", "status"], ["nodes"], ["list", "containers", "--node", "edge-1"]):
        code, out, err = run(capsys, *argv, "--db", url)
        assert code == 0, (argv, err)
        assert SECRET not in out + err, argv
    # The collector's log names the database too.
    done = subprocess.run(
        [sys.executable, "-m", "core.cli", "collect", "--once", "--db", url, "--node", "edge-1"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr


@pytest.mark.postgresql
def test_libpq_parameters_of_the_url_reach_the_server(pg_url):
    sep = "&" if "?" in pg_url else "?"
    url = f"{pg_url}{sep}application_name=nk-fleet&sslmode=disable"
    with open_store(url) as store, store.reading() as conn:
        assert conn.scalar(text("SHOW application_name")) == "nk-fleet"
    # sslmode reaches libpq: this server has no SSL, so requiring it fails, and says so.
    with pytest.raises(StoreError, match="SSL"):
        open_store(f"{pg_url}{sep}sslmode=require&connect_timeout=3")


@pytest.mark.postgresql
def test_libpq_environment_is_used_when_the_url_leaves_it_out(pg_url, monkeypatch):
    monkeypatch.setenv("PGAPPNAME", "nk-from-env")
    monkeypatch.setenv("PGPASSWORD", SECRET)  # taken by libpq; this server trusts anyway
    with open_store(pg_url) as store:
        with store.reading() as conn:
            assert conn.scalar(text("SHOW application_name")) == "nk-from-env"
        assert SECRET not in repr(store)


def test_a_password_from_pgpassword_or_pgpass_reaches_the_server_and_is_never_shown(
    tmp_path, monkeypatch, capsys
):
    """libpq takes the password the URL leaves out from PGPASSWORD, else from the password
    file (~/.pgpass, or PGPASSFILE): sent to a server that asks for it, shown nowhere."""
    monkeypatch.delenv("PGPASSWORD", raising=False)
    with PasswordServer() as server:
        url = f"postgresql+psycopg://nk@127.0.0.1:{server.port}/fleet?connect_timeout=3"
        monkeypatch.setenv("PGPASSWORD", SECRET)
        code, out, err = run(capsys, "nodes", "--db", url)
        assert code == 1 and "password authentication failed" in err
        assert SECRET not in out + err
        monkeypatch.delenv("PGPASSWORD")
        passfile = tmp_path / "pgpass"
        passfile.write_text(f"127.0.0.1:{server.port}:fleet:nk:{SECRET}-file\n")
        passfile.chmod(0o600)  # libpq ignores a password file others can read
        monkeypatch.setenv("PGPASSFILE", str(passfile))
        with pytest.raises(StoreError) as caught:
            open_store(url)
        assert SECRET not in str(caught.value)
        assert server.users[:2] == ["nk", "nk"]
        assert server.passwords[:2] == [SECRET, f"{SECRET}-file"]
