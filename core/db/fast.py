"""A fast path for hot reads that return many rows.

Building SQLAlchemy Row objects costs more than SQLite's own work when a query returns
thousands of rows (``using_network``: 1.6 ms through the driver's cursor, 2.0 ms through
SQLAlchemy's results; listing 20,000 containers with their config: most of the time).
``rows()`` runs a query on the driver's cursor of a SQLAlchemy connection, inside that
connection's transaction, and returns the driver's tuples; ``column()`` the first column.

A query is compiled once per dialect and kept: pass statements that live as long as the
program (module constants, or kept in a cache), since the compiled form is found by identity.
The values come back as the driver gives them (no SQLAlchemy type processing): use it for
columns whose driver values are already what the caller wants (integers, text).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import ClauseElement

from ..errors import StoreError

_compiled: dict[tuple[int, str], tuple[ClauseElement, Any]] = {}


def rows(conn: Connection, query: ClauseElement, params: dict[str, Any]) -> list[tuple]:
    """Every row of ``query`` with ``params``, as the driver's tuples."""
    key = (id(query), conn.dialect.name)
    held = _compiled.get(key)
    if held is None or held[0] is not query:
        # The query is kept with its compiled form, so that its id cannot be reused meanwhile.
        held = _compiled[key] = (query, query.compile(dialect=conn.dialect))
    compiled = held[1]
    values = compiled.construct_params(params)
    args: Any = [values[name] for name in compiled.positiontup] if compiled.positional else values
    if not conn.in_transaction():
        conn.begin()  # what SQLAlchemy would do: the read sees the same snapshot as its neighbours
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(compiled.string, args)
        return cursor.fetchall()
    except conn.dialect.loaded_dbapi.Error as exc:
        raise StoreError(f"database query failed: {str(exc).splitlines()[0]}") from exc
    finally:
        cursor.close()


def column(conn: Connection, query: ClauseElement, params: dict[str, Any]) -> list[Any]:
    """The first column of every row of ``query``."""
    return [row[0] for row in rows(conn, query, params)]
