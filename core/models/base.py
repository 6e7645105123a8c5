"""The tables' shared metadata, naming convention and column types, and ``table()``.

The tables are plain SQLAlchemy Core ``Table`` objects: the store only ever runs Core
statements, and declaring them as ORM classes cost every start ``sqlalchemy.orm`` and the
mapping of ~40 classes (~0.2 s, ~7 MB). ``table()`` wraps each in a ``Model``, which keeps what
the classes offered their users: ``Container.__table__``, the columns as attributes
(``Service.id``), and the model itself wherever SQLAlchemy takes a table
(``select_from(Service)``, ``insert(Service)``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Integer, MetaData, Table
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so migrations can refer to them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Model:
    """One table of ``metadata``: ``__table__``, its columns as attributes, and usable as the
    table itself in SQLAlchemy statements."""

    __slots__ = ("__table__",)

    def __init__(self, table: Table) -> None:
        self.__table__ = table

    def __getattr__(self, name: str) -> Column[Any]:
        try:
            return self.__table__.c[name]
        except KeyError:
            raise AttributeError(f"table {self.__table__.name!r} has no column {name!r}") from None

    def __clause_element__(self) -> Table:
        return self.__table__

    def __repr__(self) -> str:
        return f"<Model {self.__table__.name}>"


def table(name: str, *columns_and_constraints: Any) -> Model:
    """A table of ``metadata``, as a Model."""
    return Model(Table(name, metadata, *columns_and_constraints))


def node_column() -> Column[int]:
    """The node a row belongs to (``nodes.id``); deleting a node deletes its rows. Declared last
    in each table, where migration 0007 added it to existing databases."""
    return Column(
        "node_id",
        Integer,
        ForeignKey("nodes.id", ondelete="CASCADE"),
        nullable=False,
    )


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always returned timezone-aware in UTC.

    SQLite keeps no time zone and PostgreSQL's ``timestamp`` neither; normalising here is the one
    place the dialects differ for times.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UInt64(TypeDecorator[int]):
    """An unsigned 64-bit counter, exact on SQLite and PostgreSQL.

    Both only have signed 64-bit integers (SQLite would turn larger values into floats), so the
    value is stored shifted by 2^63; order and equality are kept.
    """

    impl = BigInteger
    cache_ok = True
    OFFSET = 1 << 63

    def process_bind_param(self, value: int | None, dialect) -> int | None:
        if value is None:
            return None
        if not 0 <= value < 1 << 64:
            raise ValueError(f"{value} is not an unsigned 64-bit counter")
        return value - self.OFFSET

    def process_result_value(self, value: int | None, dialect) -> int | None:
        return None if value is None else int(value) + self.OFFSET
