"""The LXD tables of a SQLite store copied into a fresh schema of the PostgreSQL server, so that
a benchmark reports PostgreSQL beside SQLite on the same rows (``core.demo.fill`` or the LXC
fixture write them once, in SQLite)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
from sqlalchemy import create_engine, select, text

from core import open_store
from core.models import containers as m

# LXD's tables, parents first
LXD_TABLES = [
    m.Profile, m.ProfileConfig, m.ProfileDevice, m.ProfileDeviceConfig, m.Image,
    m.ImageProperty, m.ImageAlias, m.Container, m.ContainerConfig, m.ContainerDevice,
    m.ContainerDeviceConfig, m.ContainerProfile, m.ContainerNetwork,
]  # fmt: skip


@contextmanager
def copied_to_postgresql(sqlite_path: str, server: str) -> Iterator[str]:
    """The URL of a new schema holding the store's LXD tables (analyzed), dropped at the end."""
    schema = f"nk_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in server else "?"
    url = f"{server}{sep}options={quote(f'-csearch_path={schema}')}"
    try:
        with open_store(url):  # the schema, migrated
            pass
        with (
            open_store(sqlite_path, read_only=True) as source,
            source.reading() as read,
            psycopg.connect(plain_url(url)) as target,
            target.cursor() as cursor,
        ):
            # rows copied whole: no trigger or foreign key to check on each (a superuser's
            # setting; the local test server's postgres user is one)
            cursor.execute("SET session_replication_role = replica")
            for model in LXD_TABLES:
                table = model.__table__
                names = ", ".join(f'"{c.name}"' for c in table.columns)
                with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                    for row in read.execute(select(table)):
                        copy.write_row(tuple(row))
            cursor.execute("ANALYZE")
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def plain_url(url: str) -> str:
    """The URL as psycopg itself takes it (no SQLAlchemy driver name)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
