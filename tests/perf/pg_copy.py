"""The LXD tables of a SQLite store copied into a fresh schema of the PostgreSQL server, so that
a benchmark reports PostgreSQL beside SQLite on the same rows (``core.demo.fill`` or the LXC
fixture write them once, in SQLite)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from sqlalchemy import create_engine, insert, select, text

from core import open_store
from core.models import containers as m

# LXD's tables, parents first
LXD_TABLES = [
    m.Profile, m.ProfileConfig, m.ProfileDevice, m.ProfileDeviceConfig, m.Image,
    m.ImageProperty, m.ImageAlias, m.Container, m.ContainerConfig, m.ContainerDevice,
    m.ContainerDeviceConfig, m.ContainerProfile,
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
        with open_store(sqlite_path, read_only=True) as source, open_store(url) as target:
            with source.reading() as read, target.transaction() as write:
                # rows copied whole: no trigger or foreign key to check on each (a superuser's
                # setting; the local test server's postgres user is one)
                write.execute(text("SET LOCAL session_replication_role = replica"))
                for model in LXD_TABLES:
                    table = model.__table__
                    rows = [dict(r._mapping) for r in read.execute(select(table))]
                    for start in range(0, len(rows), 5000):
                        write.execute(insert(table), rows[start : start + 5000])
            with target.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def plain_url(url: str) -> str:
    """The URL as psycopg itself takes it (no SQLAlchemy driver name)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
