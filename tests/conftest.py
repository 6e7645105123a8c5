"""Fixtures shared by every test: stores on a SQLite file, in memory and on a real PostgreSQL.

PostgreSQL tests use the server at $NODEKEEPER_TEST_PG (default: the local trust-auth server),
each test in a schema of its own. Without a reachable server they skip with one line, except
with CI=true, where a PostgreSQL test may not skip.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from core import open_store

PG_URL = os.environ.get("NODEKEEPER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def _no_ambient_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Nothing a test does may touch the user's real database.
    monkeypatch.delenv("NODEKEEPER_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The PostgreSQL URL, after checking the server answers."""
    try:
        import psycopg  # noqa: F401

        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # no driver, no server, refused...
        reason = f"PostgreSQL not reachable at {PG_URL}: {str(exc).splitlines()[0]}"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests may not skip)")
        pytest.skip(reason)
    return PG_URL


@pytest.fixture
def pg_url(pg_server: str):
    """A URL whose search_path is a fresh schema, dropped after the test."""
    schema = f"nk_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_server else "?"
    yield f"{pg_server}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(
    params=["sqlite-file", "memory", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each backend the store runs on."""
    if request.param == "sqlite-file":
        return str(tmp_path / "nodekeeper.db")
    if request.param == "memory":
        return ":memory:"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url: str):
    s = open_store(store_url)
    yield s
    s.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "nodekeeper.db"


@pytest.fixture
def file_store(db_path: Path):
    s = open_store(db_path)
    yield s
    s.close()
