"""Statements compiled once and run on the driver's cursor: the collector's write path, and the
store's reads of many rows.

Each reading of the collector is one small transaction of a dozen statements. Through
``Connection.execute`` each of them costs 50-250 µs of Python even when SQLAlchemy's compiled
cache hits (building the statement, its cache key, an execution context, a result object), 10 to
50 times what the driver spends on it. A ``Prepared`` statement is a Core statement built once,
compiled once per dialect by SQLAlchemy, then run with the driver's own ``execute`` /
``executemany`` inside the SQLAlchemy connection's transaction: the SQL, the bind order and the
type conversions (``UTCDateTime``, ``UInt64``, SQLite's datetime strings) stay SQLAlchemy's, only
the per-call work goes.

A read of thousands of rows pays the other way: building SQLAlchemy's Row objects costs more than
SQLite's own work (listing 20,000 containers with their config; ``using_network``: 1.6 ms through
the driver's cursor, 2.0 ms through SQLAlchemy's results). A ``text()`` query prepared with
``names=None`` takes its values as a dict by name and gives the driver's tuples as they are.

Errors come out as SQLAlchemy's would (``DBAPIError`` from the driver, ``StatementError`` for a
value a column type refused), so the store turns them into the same ``StoreError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.expression import Executable

# A by-name statement's bind that has no value of its own: the dict must give it.
_REQUIRED = object()


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
    by_name: bool  # the parameters come as a dict by bind name, not a tuple


class Prepared:
    """A statement compiled once per dialect, its parameters given as tuples in ``names``
    order (the statement's named ``bindparam``s; for an INSERT, the columns it sets), or, with
    ``names=None``, as a dict by bind name (a ``text()`` query's ``:name``s; names it does not
    use are ignored).

    ``executemany`` writes; ``rows`` reads, with each column's type conversion (a ``text()``
    query has none: the driver's tuples as they are, which is what makes a read of thousands of
    rows fast); ``driver_rows`` reads on a driver's connection outside SQLAlchemy's.
    ``as_given``: the values go to the driver as they are, without the bind conversions of the
    column types (for plain numbers and text already in the driver's terms, as metric samples
    are: SQLite's Float conversion alone would double the cost of a bulk insert)."""

    def __init__(
        self, statement: Executable, names: Sequence[str] | None = (), *, as_given: bool = False
    ):
        self.statement = statement
        self.by_name = names is None
        self.names = () if names is None else tuple(names)
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

    def rows(self, conn: Connection, row: Sequence[Any] | Mapping[str, Any] = ()) -> list[tuple]:
        """The result rows, each value converted by its column's type (as SQLAlchemy's rows),
        in ``conn``'s transaction (begun here if need be, as SQLAlchemy would)."""
        form = self._form(conn.dialect)
        params = _params(form, row)
        cursor = _cursor(conn)
        try:
            on_driver(conn, form.sql, params, lambda: cursor.execute(form.sql, params))
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        return _converted(form, fetched)

    def driver_rows(
        self, pooled: Any, dialect: Dialect, row: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[tuple]:
        """``rows`` on a pooled driver connection as it is, without SQLAlchemy's BEGIN and
        ROLLBACK round it (``Store.read_rows``): a lost connection is invalidated in its pool."""
        form = self._form(dialect)
        params = _params(form, row)
        cursor = pooled.dbapi_connection.cursor()
        try:
            _on_driver(
                dialect, pooled.dbapi_connection, pooled.invalidate, form.sql, params,
                lambda: cursor.execute(form.sql, params),
            )  # fmt: skip
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        return _converted(form, fetched)

    def _form(self, dialect: Dialect) -> _Form:
        last = self._last
        if last is not None and last[0] is dialect:  # the usual case: one store, one engine
            return last[1]
        # Keyed by what changes the SQL: the dialect, its paramstyle and the server's version.
        key = (type(dialect), dialect.paramstyle, dialect.server_version_info)
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = _compile(
                self.statement, None if self.by_name else self.names, dialect, self.as_given
            )
        self._last = (dialect, form)
        return form


def _compile(
    statement: Executable, names: tuple[str, ...] | None, dialect: Dialect, as_given: bool
) -> _Form:
    column_keys = list(names) if names and getattr(statement, "is_insert", False) else None
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
    by_name = names is None
    index = {name: i for i, name in enumerate(names or ())}
    sources, converters = [], []
    for at, name in enumerate(binds):
        bind: BindParameter = compiled.binds[name]
        taken = index.get(name)  # else a value the statement holds (``col == 5``)
        if taken is None and bind.required and not by_name:
            raise ValueError(f"no value for the parameter {name!r} of {compiled.string!r}")
        held = _REQUIRED if by_name and bind.required else bind.effective_value
        sources.append((taken, None if taken is not None else held))
        convert = None if as_given else bind.type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None:
            converters.append((at, convert))
    as_is = not by_name and [i for i, _ in sources] == list(range(len(index)))
    selected = getattr(statement, "selected_columns", ())
    results = [(at, c.type.dialect_impl(dialect).result_processor(dialect, None))
               for at, c in enumerate(selected)]  # fmt: skip
    return _Form(compiled.string, compiled.positional, binds, tuple(sources), as_is,
                 tuple(converters), tuple((at, p) for at, p in results if p is not None),
                 by_name)  # fmt: skip


class PreparedIn:
    """A statement with one IN list of any length, made by ``build(parameters)`` from the list's
    named parameters and compiled once per length bucket: powers of two up to ``CHUNK``, the
    list padded by repeating its last value (which changes nothing in an IN). Longer lists are
    read in chunks."""

    CHUNK = 512  # under SQLite's limit of bound parameters in one statement

    def __init__(
        self, build: Callable[[list[BindParameter]], Executable], lead: Sequence[str] = ()
    ):
        """``lead`` names ``bindparam``s of the statement other than the list (the node's id,
        say), whose values ``rows`` takes as ``lead``, in that order."""
        self._build = build
        self._lead = tuple(lead)
        self._by_length: dict[int, Prepared] = {}

    def rows(
        self, conn: Connection, values: Sequence[Any], lead: Sequence[Any] = ()
    ) -> list[tuple]:
        if len(lead) != len(self._lead):
            raise ValueError(f"give the values of {self._lead}, not {tuple(lead)!r}")
        found = []
        for start in range(0, len(values), self.CHUNK):
            chunk = values[start : start + self.CHUNK]
            length = 1 << (len(chunk) - 1).bit_length()
            found += self._prepared(length).rows(
                conn, (*lead, *chunk, *chunk[-1:] * (length - len(chunk)))
            )
        return found

    def _prepared(self, length: int) -> Prepared:
        prepared = self._by_length.get(length)
        if prepared is None:
            names = [f"in_{i}" for i in range(length)]
            statement = self._build([bindparam(name) for name in names])
            prepared = self._by_length[length] = Prepared(statement, [*self._lead, *names])
        return prepared


def _params(form: _Form, row: Any) -> Any:
    """The driver's parameters for one row: a tuple in bind order, or a dict by bind name."""
    if form.by_name:  # a dict by bind name: a bind it lacks keeps the statement's value
        values: Sequence[Any] = [
            row.get(name, held) for name, (_, held) in zip(form.binds, form.sources, strict=True)
        ]
        if _REQUIRED in values:
            missing = form.binds[values.index(_REQUIRED)]
            raise ValueError(f"no value for the parameter {missing!r} of {form.sql!r}")
    elif form.as_is and not form.converters:
        values = row if form.positional and type(row) is tuple else tuple(row)
        return values if form.positional else dict(zip(form.binds, values, strict=True))
    else:
        values = (
            list(row) if form.as_is else [row[i] if i is not None else v for i, v in form.sources]
        )
    if form.converters:
        try:
            for at, convert in form.converters:
                values[at] = convert(values[at])  # type: ignore[index]
        except (TypeError, ValueError, OverflowError) as exc:  # a value the column type refuses
            raise StatementError(str(exc), form.sql, row, exc) from exc
    return tuple(values) if form.positional else dict(zip(form.binds, values, strict=True))


def _converted(form: _Form, fetched: list) -> list[tuple]:
    """The driver's rows with each value converted by its column's type, if any has one."""
    if not form.results:
        return fetched if not fetched or type(fetched[0]) is tuple else [tuple(r) for r in fetched]
    rows = []
    for fetched_row in fetched:
        row = list(fetched_row)
        for at, convert in form.results:
            row[at] = convert(row[at])
        rows.append(tuple(row))
    return rows


def _cursor(conn: Connection):
    if not conn.in_transaction():
        conn.begin()  # what SQLAlchemy would do: the statement joins the connection's transaction
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def on_driver(conn: Connection, sql: str, params: Any, call: Callable[[], Any]) -> Any:
    """``call()``, the driver running ``sql`` on ``conn``'s DBAPI connection, with the driver's
    errors raised as SQLAlchemy raises them (a ``DBAPIError``; the connection invalidated when
    it was lost)."""
    return _on_driver(
        conn.dialect, conn.connection.dbapi_connection, conn.invalidate, sql, params, call
    )


def _on_driver(
    dialect: Dialect,
    dbapi_connection: Any,
    invalidate: Callable[[BaseException], Any],
    sql: str,
    params: Any,
    call: Callable[[], Any],
) -> Any:
    dbapi = dialect.loaded_dbapi
    try:
        return call()
    except dbapi.Error as exc:
        lost = dialect.is_disconnect(exc, dbapi_connection, None)
        if lost:
            invalidate(exc)
        raise DBAPIError.instance(
            sql, params, exc, dbapi.Error, connection_invalidated=lost, dialect=dialect
        ) from exc
