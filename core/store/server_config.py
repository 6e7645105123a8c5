"""The server config (seed 003's ``config`` table): key = value, each key checked by the
rules of core.settings. Each node has its own (the rows of its ``node_id``)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import bindparam, delete, func, insert, select

from .. import validate
from ..db.prepared import Prepared
from ..settings import checked_config, checked_config_map
from .lxd_common import T
from .repo import Repo

# Read by the collector's every reading (its traffic.* settings): compiled once.
_C = T["config"]
GET = Prepared(
    select(_C.c.value).where(_C.c.node_id == bindparam("node"), _C.c.key == bindparam("key")),
    ["node", "key"],
)


class ServerConfigRepo(Repo):
    kind = "config key"

    def all(self) -> dict[str, str]:
        c = T["config"]
        with self._store.reading() as conn:
            rows = conn.execute(
                select(c.c.key, c.c.value)
                .where(c.c.node_id == self._node_id, c.c.value.is_not(None))
                .order_by(c.c.key)
            )
            return dict(rows.all())

    def get(self, key: str, default: str | None = None) -> str | None:
        with self._store.reading() as conn:
            found = GET.rows(conn, (self._node_id, key))
        return default if not found or found[0][0] is None else found[0][0]

    def set(self, key: str, value: object | None) -> None:
        """Set a server config key; ``None`` unsets it. A key or value that breaks the rules of
        core.settings is a ValidationError naming the key and the rule."""
        if value is None:
            validate.config_key(key)
        stored = None if value is None else checked_config(key, value)
        c, node = T["config"], self._node_id
        with self._store.transaction() as conn:
            conn.execute(delete(c).where(c.c.node_id == node, c.c.key == key))
            if stored is not None:
                conn.execute(insert(c).values(key=key, value=stored, node_id=node))

    def replace(self, config: Mapping[str, object]) -> str:
        """Replace the whole server config; "updated" or "unchanged". Each key is checked as
        ``set`` checks it; None values are left out."""
        clean = checked_config_map(config)
        c, node = T["config"], self._node_id
        with self._store.transaction() as conn:
            if self.all() == clean:
                return "unchanged"
            conn.execute(delete(c).where(c.c.node_id == node))
            if clean:
                conn.execute(
                    insert(c), [{"key": k, "value": v, "node_id": node} for k, v in clean.items()]
                )
            return "updated"

    def count(self) -> int:
        c = T["config"]
        with self._store.reading() as conn:
            query = select(func.count()).select_from(c).where(c.c.node_id == self._node_id)
            return conn.scalar(query) or 0
