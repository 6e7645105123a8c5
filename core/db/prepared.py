"""Statements compiled once and run on the driver's cursor: the collector's write path.

Each reading of the collector is one small transaction of a dozen statements. Through
``Connection.execute`` each of them costs 50-250 µs of Python even when SQLAlchemy's compiled
cache hits (building the statement, its cache key, an execution context, a result object), 10 to
50 times what the driver spends on it. A ``Prepared`` statement is a Core statement built once,
compiled once per dialect by SQLAlchemy, then run with the driver's own ``execute`` /
``executemany`` inside the SQLAlchemy connection's transaction: the SQL, the bind order and the
type conversions (``UTCDateTime``, ``UInt64``, SQLite's datetime strings) stay SQLAlchemy's, only
the per-call work goes.

Errors come out as SQLAlchemy's would (``DBAPIError`` from the driver, ``StatementError`` for a
value a column type refused), so the store turns them into the same ``StoreError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.expression import Executable


@dataclass(frozen=True)
class _Form:
    """A statement compiled for one dialect."""

    sql: str
    positional: bool  # SQLite's "?" (a tuple in bind order) or psycopg's "%(name)s" (a dict)
    binds: tuple[str, ...]  # the bind names, in the order the driver takes them
    # For each bind: the index of its value in a row, or None and the value the statement holds.
    sources: tuple[tuple[int | None, Any], ...]
    as_is: bool  # the row is the binds' values in their order: no picking needed
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]  # (bind, its type's conversion)
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column, its type's conversion)


class Prepared:
    """A Core statement compiled once per dialect, its parameters given as tuples in ``names``
    order (the statement's named ``bindparam``s; for an INSERT, the columns it sets).

    ``executemany`` writes; ``rows`` reads, with each column's type conversion.
    ``as_given``: the values go to the driver as they are, without the bind conversions of the
    column types (for plain numbers and text already in the driver's terms, as metric samples
    are: SQLite's Float conversion alone would double the cost of a bulk insert)."""

    def __init__(self, statement: Executable, names: Sequence[str] = (), *, as_given: bool = False):
        self.statement = statement
        self.names = tuple(names)
        self.as_given = as_given
        self._forms: dict[tuple, _Form] = {}
        self._last: tuple[Dialect, _Form] | None = None

    def executemany(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        form = self._form(conn.dialect)
        if form.positional and form.as_is and not form.converters:  # samples: rows as they are
            params: list = [row if type(row) is tuple else tuple(row) for row in rows]
        else:
            params = [_params(form, row) for row in rows]
        cursor = _cursor(conn)
        try:
            on_driver(conn, form.sql, params, lambda: cursor.executemany(form.sql, params))
        finally:
            cursor.close()

    def rows(self, conn: Connection, row: Sequence[Any] = ()) -> list[tuple]:
        """The result rows, each value converted by its column's type (as SQLAlchemy's rows)."""
        form = self._form(conn.dialect)
        params = _params(form, row)
        cursor = _cursor(conn)
        try:
            on_driver(conn, form.sql, params, lambda: cursor.execute(form.sql, params))
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        if not form.results:
            return [tuple(r) for r in fetched]
        rows = []
        for fetched_row in fetched:
            row = list(fetched_row)
            for at, convert in form.results:
                row[at] = convert(row[at])
            rows.append(tuple(row))
        return rows

    def _form(self, dialect: Dialect) -> _Form:
        last = self._last
        if last is not None and last[0] is dialect:  # the usual case: one store, one engine
            return last[1]
        # Keyed by what changes the SQL: the dialect, its paramstyle and the server's version.
        key = (type(dialect), dialect.paramstyle, dialect.server_version_info)
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = _compile(self.statement, self.names, dialect, self.as_given)
        self._last = (dialect, form)
        return form


def _compile(
    statement: Executable, names: tuple[str, ...], dialect: Dialect, as_given: bool
) -> _Form:
    column_keys = list(names) if getattr(statement, "is_insert", False) else None
    compiled = statement.compile(dialect=dialect, column_keys=column_keys)  # type: ignore[attr-defined]
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("a Prepared statement takes no expanding IN parameter: use PreparedIn")
    # A column left out whose default SQLAlchemy applies (in Python) would be NULL here.
    missing = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
    if missing:
        raise ValueError(
            f"give the columns {missing}: SQLAlchemy applies their defaults, not the database"
        )
    binds = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
    index = {name: i for i, name in enumerate(names)}
    sources, converters = [], []
    for at, name in enumerate(binds):
        bind: BindParameter = compiled.binds[name]
        taken = index.get(name)  # else a value the statement holds (``col == 5``)
        if taken is None and bind.required:
            raise ValueError(f"no value for the parameter {name!r} of {compiled.string!r}")
        sources.append((taken, None if taken is not None else bind.effective_value))
        convert = None if as_given else bind.type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None:
            converters.append((at, convert))
    as_is = [i for i, _ in sources] == list(range(len(names)))
    selected = getattr(statement, "selected_columns", ())
    results = [(at, c.type.dialect_impl(dialect).result_processor(dialect, None))
               for at, c in enumerate(selected)]  # fmt: skip
    return _Form(compiled.string, compiled.positional, binds, tuple(sources), as_is,
                 tuple(converters), tuple((at, p) for at, p in results if p is not None))  # fmt: skip


class PreparedIn:
    """A statement with one IN list of any length, made by ``build(parameters)`` from the list's
    named parameters and compiled once per length bucket: powers of two up to ``CHUNK``, the
    list padded by repeating its last value (which changes nothing in an IN). Longer lists are
    read in chunks."""

    CHUNK = 512  # under SQLite's limit of bound parameters in one statement

    def __init__(self, build: Callable[[list[BindParameter]], Executable]):
        self._build = build
        self._by_length: dict[int, Prepared] = {}

    def rows(self, conn: Connection, values: Sequence[Any]) -> list[tuple]:
        found = []
        for start in range(0, len(values), self.CHUNK):
            chunk = values[start : start + self.CHUNK]
            length = 1 << (len(chunk) - 1).bit_length()
            found += self._prepared(length).rows(
                conn, (*chunk, *chunk[-1:] * (length - len(chunk)))
            )
        return found

    def _prepared(self, length: int) -> Prepared:
        prepared = self._by_length.get(length)
        if prepared is None:
            names = [f"in_{i}" for i in range(length)]
            statement = self._build([bindparam(name) for name in names])
            prepared = self._by_length[length] = Prepared(statement, names)
        return prepared


def _params(form: _Form, row: Sequence[Any]) -> Any:
    """The driver's parameters for one row: a tuple in bind order, or a dict by bind name."""
    if form.as_is and not form.converters:
        values: Sequence[Any] = row if form.positional and type(row) is tuple else tuple(row)
    else:
        values = (
            list(row) if form.as_is else [row[i] if i is not None else v for i, v in form.sources]
        )
        try:
            for at, convert in form.converters:
                values[at] = convert(values[at])
        except (TypeError, ValueError, OverflowError) as exc:  # a value the column type refuses
            raise StatementError(str(exc), form.sql, row, exc) from exc
    return tuple(values) if form.positional else dict(zip(form.binds, values, strict=True))


def _cursor(conn: Connection):
    if not conn.in_transaction():
        conn.begin()  # what SQLAlchemy would do: the statement joins the connection's transaction
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def on_driver(conn: Connection, sql: str, params: Any, call: Callable[[], Any]) -> Any:
    """``call()``, the driver running ``sql`` on ``conn``'s DBAPI connection, with the driver's
    errors raised as SQLAlchemy raises them (a ``DBAPIError``; the connection invalidated when
    it was lost)."""
    dbapi = conn.dialect.loaded_dbapi
    try:
        return call()
    except dbapi.Error as exc:
        lost = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            sql, params, exc, dbapi.Error, connection_invalidated=lost, dialect=conn.dialect
        ) from exc
