"""What every repository shares: its store, lookups by name within the store's node, chunked IN
lists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Table, select

from ..errors import NotFound

if TYPE_CHECKING:
    from .base import Store


def chunks(ids: list[int], size: int = 900) -> Iterable[list[int]]:
    # SQLite limits bound parameters per statement; keep IN lists under it.
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class Repo:
    kind = "resource"

    def __init__(self, store: Store):
        self._store = store

    @property
    def _node_id(self) -> int:
        """``nodes.id`` of the store's node: every row this repository reads or writes is its."""
        return self._store.node_id

    def _id(self, conn: Connection, table: Table, name: str, column: str = "name") -> int:
        """The id of the row of this node named ``name`` (names are unique per node only)."""
        oid = conn.scalar(
            select(table.c.id).where(table.c[column] == name, table.c.node_id == self._node_id)
        )
        if oid is None:
            raise NotFound(self.kind, name)
        return oid


class NamedRepo(Repo):
    """A repository of resources with a ``name`` column in ``table``, unique within a node."""

    table: Table

    def names(self) -> list[str]:
        t = self.table
        with self._store.reading() as conn:
            return list(
                conn.scalars(
                    select(t.c.name).where(t.c.node_id == self._node_id).order_by(t.c.name)
                )
            )

    def _rows(self, conn: Connection, names: list[str] | None) -> list:
        """Rows of ``table`` of this node by name (all of them for None), in name order."""
        query = (
            select(self.table)
            .where(self.table.c.node_id == self._node_id)
            .order_by(self.table.c.name)
        )
        if names is None:
            return list(conn.execute(query))
        rows = []
        for chunk in chunks(names):  # type: ignore[arg-type]
            rows.extend(conn.execute(query.where(self.table.c.name.in_(chunk))))
        return sorted(rows, key=lambda r: r.name)
