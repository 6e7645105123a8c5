"""A fast path for hot reads that return many rows.

Building SQLAlchemy Row objects costs more than SQLite's own work when a query returns a
thousand names (``using_network``: 1.6 ms through the driver's cursor, 2.0 ms through
SQLAlchemy's results). ``column()`` runs a text query on the driver's cursor of a SQLAlchemy
connection, inside that connection's transaction, and returns the first column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, TextClause

from ..errors import StoreError

_compiled: dict[tuple[int, str], Any] = {}


def column(conn: Connection, query: TextClause, params: dict[str, Any]) -> list[Any]:
    key = (id(query), conn.dialect.name)
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compiled[key] = query.compile(dialect=conn.dialect)
    values = compiled.construct_params(params)
    args: Any = [values[name] for name in compiled.positiontup] if compiled.positional else values
    if not conn.in_transaction():
        conn.begin()  # what SQLAlchemy would do: the read sees the same snapshot as its neighbours
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(compiled.string, args)
        return [row[0] for row in cursor.fetchall()]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise StoreError(f"database query failed: {str(exc).splitlines()[0]}") from exc
    finally:
        cursor.close()
