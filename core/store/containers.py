"""Containers (seed 003, LXD's model): a container's own config, devices and profile list,
and its effective config and devices through its profiles (``expand``).

Reads load in bulk (one query per table, never one per container); writes replace a container's
config, devices and profile list whole, inside one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import groupby, repeat
from operator import attrgetter, itemgetter
from typing import Any, Literal, overload

from sqlalchemy import Connection, bindparam, delete, insert, select, text, update

from .. import validate
from ..db.prepared import Prepared
from ..errors import AlreadyExists, FieldErrors, NotFound, Running, ValidationError
from .lxd_common import (
    ARCHITECTURES,
    DEVICE_TYPES,
    ConfigOwner,
    Devices,
    T,
    architecture,
    devices_map,
    insert_named,
    refresh_networks,
)
from .profiles import ProfileInfo
from .repo import NamedRepo, chunks

CONTAINER_TYPES = {0: "container", 1: "snapshot"}
POWER_STATES = {0: "stopped", 1: "running"}
# The config key LXD records a container's image fingerprint under.
BASE_IMAGE_KEY = "volatile.base_image"
BASE_IMAGE_WHERE = f"containers_config.key = '{BASE_IMAGE_KEY}'"


@dataclass
class ContainerInfo:
    name: str
    architecture: str
    type: str = "container"
    power_state: str = "stopped"
    ephemeral: bool = False
    profiles: list[str] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)
    devices: Devices = field(default_factory=dict)

    @property
    def image(self) -> str | None:
        return self.config.get(BASE_IMAGE_KEY)


@dataclass(slots=True)
class ContainerSummary:
    """What a listing shows of a container, without its config and devices (``summaries``):
    enough for a table of thousands; ``get`` reads one whole."""

    name: str
    architecture: str
    type: str
    power_state: str
    ephemeral: bool
    profiles: list[str]
    image: str | None  # its image's fingerprint (BASE_IMAGE_KEY), None when not recorded


@dataclass
class ExpandedContainer:
    """A container's effective config and devices; ``*_origin`` say where each came from:
    ``"local"`` or ``"profile:<name>"``."""

    name: str
    profiles: list[str]
    config: dict[str, str]
    config_origin: dict[str, str]
    devices: Devices
    device_origin: dict[str, str]


def expand(container: ContainerInfo, profiles: Mapping[str, ProfileInfo]) -> ExpandedContainer:
    """The effective config and devices of a container, given its profiles by name."""
    config: dict[str, str] = {}
    config_origin: dict[str, str] = {}
    devices: Devices = {}
    device_origin: dict[str, str] = {}
    layers = [
        (f"profile:{n}", profiles[n].config, profiles[n].devices)
        for n in container.profiles
        if n in profiles  # deleted since the container was read: it no longer applies
    ]
    layers.append(("local", container.config, container.devices))
    for origin, layer_config, layer_devices in layers:
        for key, value in layer_config.items():
            config[key], config_origin[key] = value, origin
        for dev_name, dev in layer_devices.items():
            devices[dev_name], device_origin[dev_name] = dict(dev), origin
    return ExpandedContainer(
        name=container.name,
        profiles=list(container.profiles),
        config=dict(sorted(config.items())),
        config_origin=config_origin,
        devices=dict(sorted(devices.items())),
        device_origin=device_origin,
    )


# -- reads: the SQL
#
# Every read of containers is a few statements over whole tables, whatever the number of
# containers: the rows of the containers wanted, then each child table (config, devices,
# profiles) joined to the same selection in SQL, never an IN list of their ids. The filters and
# a page's bounds are conditions on ``c`` (the containers table); a statement is built once per
# combination of them and compiled once (core.db.prepared), and its rows are fetched in bulk.

# The containers with a nic on :net, their own or inherited from a profile and not replaced by a
# same-named device (``expand``'s rules), read from containers_networks, where the store keeps
# each container's effective networks as it writes devices and profiles (refresh_networks): one
# range of the (network, name) index, the names in order (5,218 steps, 0.25 ms; with the names
# looked up by id and sorted instead, 14,335 steps and 0.38 ms).
#
# History (issue 12; SQLite VM steps on the 2,000 containers of tests/perf/test_using_network.py,
# 1,302 on br0): worked out from the devices and profiles on every call, the query took 61,098
# steps (1.3-2.5 ms p50 here): own nics 7,273; inherited nics 6,348 to find 1,574 candidates, +15,700 for the
# same-named local device check and +23,000 for the later profile's; ids to names and the sort
# 16,000. Every rewrite measured was slower (GROUP BY/max() per device name 161,855; LEFT JOIN
# ... IS NULL 64,706; row-value NOT IN 21 million; UNION of names 82,674; scanning the name
# index to skip the sort 63,375): the overlay's probes were the cost, hence the table.
#
# Fleet (issue 13): the rows carry the container's node, and the index is (network, node_id,
# name, container_id): one node's containers on a network are one range of it, in name order, as
# before; the fleet's are the network's whole range.
_USING_NETWORK_IDS = (
    "SELECT cn.container_id FROM containers_networks cn"
    " WHERE cn.network = :net AND cn.node_id = :node"
)
_USING_NETWORK_SQL = Prepared(
    text(
        "SELECT cn.name FROM containers_networks cn"
        " WHERE cn.network = :net AND cn.node_id = :node ORDER BY cn.name"
    ),
    None,
)
# The fleet's (``using_network``'s ``all_nodes``): the network's range over every node, with
# each node's name, as one row per container. On SQLite (one node, as a rule) that is all.
_USING_NETWORK_FLEET_SQL = Prepared(
    text(
        "SELECT n.name, cn.name FROM containers_networks cn JOIN nodes n ON n.id = cn.node_id"
        " WHERE cn.network = :net ORDER BY n.name, cn.name"
    ),
    None,
)
# On PostgreSQL, one row per node in name order: how many of its containers are on the network
# and their names joined, each node's read from its range of the index in name order (an
# index-only scan, no sort) by the ordered subquery that feeds string_agg. Measured at 50 nodes
# of 2,000 containers (65,100 on br0, tests/perf/test_fleet_usage.py): the rows above cost a
# sort of them all (PostgreSQL 15 cannot tell that nodes in name order, each read in name
# order, come out sorted) and 65,100 rows through the driver, 43-90 ms; this, 10-20 ms.
# Container names are hostnames (validate.hostname), so a newline cannot be in one; the count
# checks it all the same (``_using_network_fleet``).
_USING_NETWORK_FLEET_PG = Prepared(
    text(
        """
        SELECT n.name, s.count, s.names FROM nodes n CROSS JOIN LATERAL (
               SELECT count(*) AS count, string_agg(o.name, E'\\n') AS names FROM (
                      SELECT cn.name FROM containers_networks cn
                       WHERE cn.network = :net AND cn.node_id = n.id ORDER BY cn.name) o) s
         WHERE s.count > 0 ORDER BY n.name
        """
    ),
    None,
)

# What selects containers: each filter or page bound given adds its condition; "node" (the
# store's node) is always there (``_statement``).
_CONDITIONS = {
    "node": "c.node_id = :node",
    "name": "c.name = :name",
    "network": f"c.id IN ({_USING_NETWORK_IDS})",
    "profile": "c.id IN (SELECT cp.container_id FROM containers_profiles cp"
    " JOIN profiles p ON p.id = cp.profile_id WHERE p.name = :profile AND p.node_id = :node)",
    # the key as a literal, so that the partial index on it applies
    "image": "c.id IN (SELECT cc.container_id FROM containers_config cc"
    f" WHERE cc.key = '{BASE_IMAGE_KEY}' AND cc.value = :image)",
    "after": "c.name > :after",  # keyset pagination: a page starts after the last name seen
    "through": "c.name <= :through",  # ... and its children stop at the page's last name
    "since": "c.name >= :since",  # the names from :since through :through (a first screen)
}
_COUNT = "SELECT count(*) FROM containers c {where}"
# The first :first names as a table sorts them: casefolded, which lower() is for the ASCII of
# a hostname (validate.hostname), ties in the store's order.
_FIRST_NAMES = "SELECT c.name FROM containers c {where} ORDER BY lower(c.name), c.name LIMIT :first"

# {where}/{and_where}: the conditions on c; {owned X}: the same selection for the container_id of
# a child table aliased X.
_ROWS = """
    SELECT c.id, c.name, c.architecture, c.type, c.power_state, c.ephemeral FROM containers c
    {where} ORDER BY c.name {limit}
"""
# A page of summaries (``summary_pages``): the image of each container looked up by its key,
# one index seek each. A page's _IMAGES reads the whole partial index and joins it to the page
# (on PostgreSQL a bitmap scan of every container's image, 25 ms a page of 2,000), so ten pages
# cost ten times the whole; these seeks cost 6 ms a page there, 4 ms on SQLite.
_PAGE_ROWS = """
    SELECT c.id, c.name, c.architecture, c.type, c.power_state, c.ephemeral,
           (SELECT cc.value FROM containers_config cc
             WHERE cc.container_id = c.id AND cc.key = '{image_key}')
      FROM containers c {where} ORDER BY c.name {limit}
"""
_IMAGES = """
    SELECT cc.container_id, cc.value FROM containers_config cc
     WHERE cc.key = '{image_key}' {and_owned cc}
"""
_CONFIG = """
    SELECT cc.container_id, cc.key, cc.value FROM containers_config cc
     WHERE cc.value IS NOT NULL {and_owned cc} ORDER BY cc.container_id, cc.key
"""
_DEVICES = """
    SELECT d.container_id, d.name, d.type, dc.key, dc.value
      FROM containers_devices d
      LEFT JOIN containers_devices_config dc ON dc.container_device_id = d.id
    {owned d} ORDER BY d.container_id, d.name, dc.key
"""
_PROFILES = """
    SELECT cp.container_id, p.name FROM containers_profiles cp
      JOIN profiles p ON p.id = cp.profile_id
    {owned cp} ORDER BY cp.container_id, cp.apply_order
"""
# The networks of each container's nics as ``expand`` gives them (the Networks column), from
# containers_networks, the same rows using_network reads; by name, as a listing shows them.
# {join}: for a page, CROSS JOIN, which makes SQLite start from the page's names (PostgreSQL
# reads it as a plain join); otherwise a plain join.
_NETWORKS = """
    SELECT c.name, cn.network FROM containers c {join} containers_networks cn
     WHERE cn.container_id = c.id {and_where} ORDER BY c.name
"""


# ``list --format json`` built in SQL (``json_pages``): each container as the JSON text that
# command writes (``json.dumps(indent=2)``, the container an element of the array: its keys at
# 4 spaces, their items at 6, a device's keys at 8), so that the driver hands over one text per
# container instead of a row per key (153,000 config rows at 20,000 containers) for Python to
# group and encode; its networks come from containers_networks, as ``networks`` reads them.
# The two dialects differ in how they quote, join and sort (``_json_quoted``, ``_joined``, the
# networks' order); the rest of the SQL is the same.
def _json_quoted(expr: str, dialect: str) -> str:
    """``expr`` (text) as a JSON string, escaped as ``json.dumps`` escapes it (a quote, a
    backslash, a control character) except that characters beyond ASCII stay as they are
    (``core.text.ascii_json`` escapes those)."""
    if dialect == "sqlite":
        return f"json_quote({expr})"
    return f"CAST(to_json(CAST({expr} AS text)) AS text)"


def _joined(item: str, source: str, order: str, separator: str, dialect: str) -> str:
    """``item`` of each row of ``source`` (its FROM and WHERE) in ``order``, joined by
    ``separator``; NULL when there is no row."""
    if dialect == "sqlite":  # before 3.44 its aggregates take no ORDER BY: an ordered subquery
        return (
            f"(SELECT group_concat(t, '{separator}') FROM "
            f"(SELECT {item} AS t {source} ORDER BY {order}))"
        )
    return f"(SELECT string_agg({item}, '{separator}' ORDER BY {order}) {source})"


def _json_template(dialect: str) -> str:
    """The statement of ``json_pages`` (a template of ``_statement``) for ``dialect``: each
    container's name and its JSON text."""

    def quoted(expr: str) -> str:
        return _json_quoted(expr, dialect)

    def named(column: str, names: Mapping[int, str], default: str | None = None) -> str:
        """A stored number as its name's JSON string (``_in_words``, ``DEVICE_TYPES``);
        another number as itself, or ``default``."""
        cases = " ".join(f"WHEN {n} THEN '{json.dumps(name)}'" for n, name in names.items())
        other = f"'{json.dumps(default)}'" if default else quoted(f"CAST({column} AS text)")
        return f"CASE {column} {cases} ELSE {other} END"

    def block(items: str, opened: str, closed: str) -> str:
        """The items of a list or an object at 6 spaces, its brackets at 4; ``[]`` or ``{}``
        when there is none."""
        return f"coalesce('{opened}\n      ' || {items} || '\n    {closed}', '{opened}{closed}')"

    item_sep = ",\n      "
    device_keys = _joined(
        f"',\n        ' || {quoted('dc.key')} || ': ' || {quoted('dc.value')}",
        "FROM containers_devices_config dc"
        " WHERE dc.container_device_id = d.id AND dc.value IS NOT NULL",
        "dc.key", "", dialect,
    )  # fmt: skip
    device = (
        f"{quoted('d.name')} || ': {{\n        \"type\": ' || "
        f"{named('d.type', DEVICE_TYPES, 'none')} || coalesce({device_keys}, '') || '\n      }}'"
    )
    image = quoted(
        "(SELECT cc.value FROM containers_config cc"
        f" WHERE cc.container_id = c.id AND cc.key = '{BASE_IMAGE_KEY}')"
    )
    keys = {
        "name": quoted("c.name"),
        "architecture": named("c.architecture", ARCHITECTURES),
        "type": named("c.type", CONTAINER_TYPES),
        "power_state": named("c.power_state", POWER_STATES),
        "ephemeral": "CASE WHEN c.ephemeral = 0 THEN 'false' ELSE 'true' END",
        "profiles": block(_joined(
            quoted("p.name"),
            "FROM containers_profiles cp JOIN profiles p ON p.id = cp.profile_id"
            " WHERE cp.container_id = c.id",
            "cp.apply_order", item_sep, dialect,
        ), "[", "]"),
        "config": block(_joined(
            f"{quoted('cc.key')} || ': ' || {quoted('cc.value')}",
            "FROM containers_config cc WHERE cc.container_id = c.id AND cc.value IS NOT NULL",
            "cc.key", item_sep, dialect,
        ), "{", "}"),
        "devices": block(_joined(
            device, "FROM containers_devices d WHERE d.container_id = c.id", "d.name",
            item_sep, dialect,
        ), "{", "}"),
        # as ``networks`` gives them: an empty one left out, in code point order (Python's sort)
        "networks": block(_joined(
            quoted("cn.network"),
            "FROM containers_networks cn WHERE cn.container_id = c.id AND cn.network <> ''",
            "cn.network" if dialect == "sqlite" else 'cn.network COLLATE "C"', item_sep, dialect,
        ), "[", "]"),
        "image": f"coalesce({image}, 'null')",
    }  # fmt: skip
    text = " || ".join(
        f"'{',' if i else '{'}\n    \"{key}\": ' || {value}"
        for i, (key, value) in enumerate(keys.items())
    )
    return f"""
    SELECT c.name, {text} || '\n  }}'
      FROM containers c {{where}} ORDER BY c.name {{limit}}
"""


def _without_jit(conn: Connection) -> None:
    """PostgreSQL: no JIT compilation for the rest of this read. A page's statements (their
    subqueries per container, the Networks column's) cost more than ``jit_above_cost`` by the
    planner's estimate, and compiling each took 20 ms, more than running it (35 ms a page of
    2,000 containers for ``list --format json``: 0.38 s at 20,000 instead of 0.6 s)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")  # until the read's transaction ends


_json_templates: dict[str, str] = {}

_statements: dict[tuple[str, tuple[str, ...], bool], Prepared] = {}


def _statement(template: str, conditions: tuple[str, ...], limit: bool = False) -> Prepared:
    """``template`` for the containers ``conditions`` select (keys of _CONDITIONS) among those
    of the node ``:node`` (its parameters must give it), built once per combination and kept,
    so that it is compiled once (core.db.prepared)."""
    key = (template, conditions, limit)
    statement = _statements.get(key)
    if statement is None:
        where = " AND ".join(_CONDITIONS[name] for name in ("node", *conditions))
        sql = (
            template.replace("{where}", f"WHERE {where}" if where else "")
            .replace("{and_where}", f"AND {where}" if where else "")
            .replace("{limit}", "LIMIT :limit" if limit else "")
            .replace("{image_key}", BASE_IMAGE_KEY)
            .replace("{join}", "CROSS JOIN" if "through" in conditions else ",")
        )
        for alias in ("cc", "d", "cp"):
            owned = f"{alias}.container_id IN (SELECT c.id FROM containers c WHERE {where})"
            sql = sql.replace(f"{{owned {alias}}}", f"WHERE {owned}" if where else "")
            sql = sql.replace(f"{{and_owned {alias}}}", f"AND {owned}" if where else "")
        statement = _statements[key] = Prepared(text(sql), None)
    return statement


# The parts of the rows of the child tables (_CONFIG, _PROFILES) that ``_whole`` groups.
_CID, _NAME, _KEY_VALUE = itemgetter(0), itemgetter(1), itemgetter(1, 2)
_NAME_OF_INFO = attrgetter("name")


def _one_each(lists: dict[Any, list[str]]) -> dict[Any, list[str]]:
    """``lists`` with equal lists made one list object, in place. Thousands of containers apply
    a handful of profile lists and sit on a handful of networks; as read, each row's names are
    new strings, and a listing the console keeps (20,000 containers) held 6 MiB of copies. The
    lists are not to be changed by their users."""
    seen: dict[tuple[str, ...], list[str]] = {}
    for key, items in lists.items():
        lists[key] = seen.setdefault(tuple(items), items)
    return lists


def _in_words(row: tuple) -> tuple[str, str, str, str, bool]:
    """A row of _ROWS as ContainerInfo's first fields: the stored numbers as their names."""
    _id, name, arch, ctype, state, ephemeral = row
    return (
        name, ARCHITECTURES.get(arch, str(arch)), CONTAINER_TYPES.get(ctype, str(ctype)),
        POWER_STATES.get(state, str(state)), bool(ephemeral),
    )  # fmt: skip


class ContainerRepo(NamedRepo):
    kind = "container"
    table = T["containers"]
    _children = ConfigOwner("containers", "container_id")

    # -- reads

    def exists(self, name: str) -> bool:
        t = T["containers"]
        with self._store.reading() as conn:
            found = conn.scalar(
                select(t.c.id).where(t.c.name == name, t.c.node_id == self._node_id)
            )
            return found is not None

    def get(self, name: str) -> ContainerInfo:
        with self._store.reading() as conn:
            found = self._whole(conn, ("name",), {"name": name, "node": self._node_id})
        if not found:
            raise NotFound(self.kind, name)
        return found[0]

    def list(
        self, *, network: str | None = None, profile: str | None = None, image: str | None = None
    ) -> list[ContainerInfo]:
        """Every container, or those using a network, a profile and/or an image, by name."""
        with self._store.reading() as conn:
            conditions, params = self._selection(conn, network, profile, image)
            return self._whole(conn, conditions, params)

    def summaries(
        self,
        *,
        network: str | None = None,
        profile: str | None = None,
        image: str | None = None,
        since: str | None = None,
        through: str | None = None,
    ) -> list[ContainerSummary]:
        """What a listing shows of every container (or those the filters select), by name,
        without loading config and devices: one query, and one for the profiles. ``since``,
        ``through``: only the names from, through (a console's first screen of thousands)."""
        bounds = {k: v for k, v in (("since", since), ("through", through)) if v is not None}
        with self._store.reading() as conn:
            conditions, params = self._selection(conn, network, profile, image)
            return self._summaries(conn, conditions + tuple(bounds), params | bounds)

    def summary_pages(
        self,
        size: int = 500,
        *,
        network: str | None = None,
        profile: str | None = None,
        image: str | None = None,
    ) -> Iterator[list[ContainerSummary]]:
        """``summaries``, ``size`` at a time in name order, from one snapshot, as ``pages``:
        ``list --format csv`` of thousands, written as it is read."""
        return self._paged(self._summaries, _NAME_OF_INFO, size, network, profile, image)

    @classmethod
    def _summaries(
        cls,
        conn: Connection,
        conditions: tuple[str, ...],
        params: dict[str, str],
        limit: int | None = None,
    ) -> list[ContainerSummary]:
        """The summaries of the containers ``conditions`` select, by name; the first ``limit``
        of them when given."""
        if limit is not None:
            rows = _statement(_PAGE_ROWS, conditions, True).rows(conn, params | {"limit": limit})
            if not rows:
                return []
            # the profiles of this page: up to its last name
            conditions += ("through",)
            params = params | {"through": rows[-1][1]}
            images = {row[0]: row[6] for row in rows}
        else:
            rows = _statement(_ROWS, conditions).rows(conn, params)
            # the image apart, through its partial index: cheaper than a join for each row
            images = dict(_statement(_IMAGES, conditions).rows(conn, params))
        fingerprints: dict[str, str] = {}  # one string for each image (as ``_one_each``)
        images = {cid: fingerprints.setdefault(f, f) for cid, f in images.items()}
        profiles = cls._profiles(conn, conditions, params)
        return [
            ContainerSummary(*_in_words(row[:6]), profiles.get(row[0], []), images.get(row[0]))
            for row in rows
        ]

    def pages(
        self,
        size: int = 500,
        *,
        network: str | None = None,
        profile: str | None = None,
        image: str | None = None,
    ) -> Iterator[list[ContainerInfo]]:
        """Every container whole (or those the filters select), ``size`` at a time in name
        order, all from one snapshot: the read stays open until the last page is taken or the
        iterator is closed, so this thread must not write meanwhile. Keyset pagination: each
        page starts after the last name of the one before, so a page costs the same wherever
        it falls."""
        return self._paged(self._whole, _NAME_OF_INFO, size, network, profile, image)

    def json_pages(
        self,
        size: int = 500,
        *,
        network: str | None = None,
        profile: str | None = None,
        image: str | None = None,
    ) -> Iterator[list[tuple[str, str]]]:
        """Every container (or those the filters select) as ``list --format json`` writes it
        (the kind's ``listed_json``), built in SQL (``_json_template``): its name and its JSON
        text, characters beyond ASCII left as they are for ``core.text.ascii_json``. ``size``
        at a time in name order, from one snapshot, as ``pages``."""
        return self._paged(self._json_rows, itemgetter(0), size, network, profile, image)

    def _paged(
        self,
        read: Callable[[Connection, tuple[str, ...], dict[str, str], int], list],
        name_of: Callable[[Any], str],
        size: int,
        network: str | None,
        profile: str | None,
        image: str | None,
    ) -> Iterator[list]:
        """The pages of ``read`` (the first ``size`` containers of a selection, each named by
        ``name_of``) by keyset pagination, from one snapshot."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValidationError("size", size, "must be a whole number of containers, 1 or more")
        with self._store.reading() as conn:
            _without_jit(conn)
            conditions, params = self._selection(conn, network, profile, image)
            after: str | None = None
            while True:
                bounds = {"after": after} if after is not None else {}
                page = read(conn, conditions + tuple(bounds), params | bounds, size)
                if page:
                    yield page
                if len(page) < size:
                    return
                after = name_of(page[-1])

    @staticmethod
    def _json_rows(
        conn: Connection, conditions: tuple[str, ...], params: dict[str, str], limit: int
    ) -> list[tuple[str, str]]:
        dialect = conn.dialect.name
        template = _json_templates.get(dialect)
        if template is None:
            template = _json_templates[dialect] = _json_template(dialect)
        return _statement(template, conditions, True).rows(conn, params | {"limit": limit})

    def networks(
        self,
        *,
        network: str | None = None,
        profile: str | None = None,
        image: str | None = None,
        after: str | None = None,
        through: str | None = None,
        since: str | None = None,
    ) -> dict[str, list[str]]:
        """Container name -> the networks its nics use, its own and its profiles' (as
        ``expand`` gives them), for every container the filters select within the names
        (``after``, ``through``] (a page of ``pages``), or [``since``, ``through``]; answered
        in SQL. A container without a nic on a network is left out."""
        bounds = {
            k: v for k, v in (("after", after), ("through", through), ("since", since))
            if v is not None
        }  # fmt: skip
        with self._store.reading() as conn:
            conditions, params = self._selection(conn, network, profile, image)
            conditions += tuple(bounds)
            params |= bounds
            found: dict[str, list[str]] = {}
            # one row per container and network (the table's key): two nics on one network
            # name it once already
            for name, value in _statement(_NETWORKS, conditions).rows(conn, params):
                if value:  # an empty network key names none
                    found.setdefault(name, []).append(value)
        for nets in found.values():
            if len(nets) > 1:
                nets.sort()
        return _one_each(found)

    def first_names(self, count: int) -> tuple[list[str], int]:
        """The first ``count`` names as a table sorts them (casefolded), and how many
        containers there are: a console's first screen, without reading every name."""
        with self._store.reading() as conn:
            node = {"node": self._node_id}
            names = [
                row[0] for row in _statement(_FIRST_NAMES, ()).rows(conn, node | {"first": count})
            ]
            return names, _statement(_COUNT, ()).rows(conn, node)[0][0]

    def _selection(
        self, conn: Connection, network: str | None, profile: str | None, image: str | None
    ) -> tuple[tuple[str, ...], dict[str, str]]:
        """The conditions (keys of _CONDITIONS) and values of the filters given, and the node's."""
        params: dict[str, Any] = {"node": self._node_id}
        if network is not None:
            params["net"] = network
        if profile is not None:
            params["profile"] = profile
        if image is not None:
            try:
                params["image"] = self._store.images._resolve(conn, image)
            except NotFound:
                params["image"] = image  # an image deleted since can still be asked about
        conditions = tuple(
            name for name, given in (("network", network), ("profile", profile), ("image", image))
            if given is not None
        )  # fmt: skip
        return conditions, params

    def _whole(
        self,
        conn: Connection,
        conditions: tuple[str, ...],
        params: dict[str, str],
        limit: int | None = None,
    ) -> list[ContainerInfo]:
        """The containers ``conditions`` select, with their config, devices and profiles, by
        name; the first ``limit`` of them when given."""
        if limit is not None:
            params = params | {"limit": limit}
        rows = _statement(_ROWS, conditions, limit is not None).rows(conn, params)
        if not rows:
            return []
        if limit is not None:  # the children of this page: up to its last name
            conditions += ("through",)
            params = params | {"through": rows[-1][1]}
        # Each child table's rows come grouped by container: a dict or list per group, built
        # in C (groupby, itemgetter), not a Python step per row; 153,000 config rows at 20,000.
        configs = {
            cid: dict(map(_KEY_VALUE, group))
            for cid, group in groupby(_statement(_CONFIG, conditions).rows(conn, params), _CID)
        }
        devices: dict[int, Devices] = {}
        for cid, name, dtype, key, value in _statement(_DEVICES, conditions).rows(conn, params):
            owned = devices.get(cid)
            if owned is None:
                owned = devices[cid] = {}
            device = owned.get(name)
            if device is None:
                device = owned[name] = {"type": DEVICE_TYPES.get(dtype, "none")}
            if key is not None and value is not None:
                device[key] = value
        profiles = self._profiles(conn, conditions, params)
        return [
            ContainerInfo(
                *_in_words(row),
                profiles.get(row[0]) or [],
                configs.get(row[0]) or {},
                devices.get(row[0]) or {},
            )
            for row in rows
        ]

    @staticmethod
    def _profiles(
        conn: Connection, conditions: tuple[str, ...], params: dict[str, str]
    ) -> dict[int, list[str]]:
        """Container id -> its profiles' names in apply order (equal lists one object)."""
        return _one_each({
            cid: list(map(_NAME, group))
            for cid, group in groupby(_statement(_PROFILES, conditions).rows(conn, params), _CID)
        })  # fmt: skip

    def expanded(self, name: str) -> ExpandedContainer:
        """Profiles in apply order, later ones overriding earlier, the container's own on top.
        Devices overlay per name: a later device replaces an earlier one whole."""
        with self._store.reading():
            container = self.get(name)
            profiles = {p.name: p for p in self._store.profiles._load(names=container.profiles)}
        return expand(container, profiles)

    @overload
    def using_network(self, network: str, *, all_nodes: Literal[False] = False) -> list[str]: ...

    @overload
    def using_network(self, network: str, *, all_nodes: Literal[True]) -> list[tuple[str, str]]: ...

    def using_network(
        self, network: str, *, all_nodes: bool = False
    ) -> list[str] | list[tuple[str, str]]:
        """Containers with a nic on ``network`` (its ``network`` or ``parent`` key), their own or
        inherited from a profile and not replaced by a same-named device. Answered in SQL, from
        the effective networks the store keeps as it writes (containers_networks).

        By default, the names of the store's node's containers, in name order. With
        ``all_nodes=True``, the fleet's: one statement over every node in the database, giving
        ``(node name, container name)`` pairs sorted by node name, then container name."""
        if all_nodes:
            return self._using_network_fleet(network)
        params = {"net": network, "node": self._node_id}
        return [row[0] for row in self._store.read_rows(_USING_NETWORK_SQL, params)]

    def _using_network_fleet(self, network: str) -> list[tuple[str, str]]:
        params = {"net": network}
        if self._store.location.is_sqlite:
            return self._store.read_rows(_USING_NETWORK_FLEET_SQL, params)
        found: list[tuple[str, str]] = []
        for node, count, joined in self._store.read_rows(_USING_NETWORK_FLEET_PG, params):
            names = joined.split("\n")
            if len(names) != count:  # a name with a newline (not written by this store)
                return self._store.read_rows(_USING_NETWORK_FLEET_SQL, params)
            found.extend(zip(repeat(node), names))  # the pairs built in C, not a step each
        return found

    def using_profile(self, profile: str) -> list[str]:
        t, cp, p = T["containers"], T["containers_profiles"], T["profiles"]
        node = self._node_id
        with self._store.reading() as conn:
            return list(
                conn.scalars(
                    select(t.c.name)
                    .join(cp, cp.c.container_id == t.c.id)
                    .join(p, p.c.id == cp.c.profile_id)
                    .where(p.c.name == profile, p.c.node_id == node, t.c.node_id == node)
                    .order_by(t.c.name)
                )
            )

    def by_profile(self) -> dict[str, list[str]]:
        """Profile name -> the containers applying it, by name, in one query (no container is
        loaded: the profiles' "used by" on a store of thousands)."""
        t, cp, p = T["containers"], T["containers_profiles"], T["profiles"]
        found: dict[str, list[str]] = {}
        with self._store.reading() as conn:
            rows = conn.execute(
                select(p.c.name, t.c.name)
                .join(cp, cp.c.profile_id == p.c.id)
                .join(t, t.c.id == cp.c.container_id)
                .where(t.c.node_id == self._node_id)
                .order_by(t.c.name)
            )
            for profile, container in rows:
                found.setdefault(profile, []).append(container)
        return found

    def by_image(self) -> dict[str, list[str]]:
        """Image fingerprint -> the containers created from it, by name, in one query."""
        t, cc = T["containers"], T["containers_config"]
        found: dict[str, list[str]] = {}
        with self._store.reading() as conn:
            rows = conn.execute(
                select(cc.c.value, t.c.name)
                .join(t, t.c.id == cc.c.container_id)
                .where(text(BASE_IMAGE_WHERE))  # literal, so the partial index applies
                .where(t.c.node_id == self._node_id)
                .order_by(t.c.name)
            )
            for fingerprint, container in rows:
                found.setdefault(fingerprint, []).append(container)
        return found

    def using_image(self, image: str) -> list[str]:
        """Containers created from an image, given by fingerprint (or its prefix) or alias."""
        t, cc = T["containers"], T["containers_config"]
        with self._store.reading() as conn:
            try:
                fingerprint = self._store.images._resolve(conn, image)
            except NotFound:
                fingerprint = image  # an image deleted since can still be asked about
            return list(
                conn.scalars(
                    select(t.c.name)
                    .join(cc, cc.c.container_id == t.c.id)
                    # literal, so the partial index on this key applies
                    .where(text(BASE_IMAGE_WHERE), cc.c.value == fingerprint)
                    .where(t.c.node_id == self._node_id)
                    .order_by(t.c.name)
                )
            )

    # -- writes

    def create(
        self,
        name: str,
        *,
        architecture: str | int = "x86_64",
        type: str = "container",
        power_state: str = "stopped",
        ephemeral: bool = False,
        profiles: Iterable[str] = (),
        config: Mapping[str, object] | None = None,
        devices: Mapping[str, Mapping[str, object]] | None = None,
    ) -> ContainerInfo:
        info = self.validated(
            name, architecture, type, power_state, ephemeral, profiles, config, devices
        )
        with self._store.transaction() as conn:
            t, node = T["containers"], self._node_id
            if conn.scalar(select(t.c.id).where(t.c.name == name, t.c.node_id == node)) is not None:
                raise AlreadyExists(self.kind, name)
            cid = insert_named(conn, t, self._row(info, node), self.kind, name)
            self._write_children(conn, {cid: info})
        return self.get(name)

    def update(
        self,
        name: str,
        *,
        architecture: str | int | None = None,
        power_state: str | None = None,
        ephemeral: bool | None = None,
        profiles: Iterable[str] | None = None,
        config: Mapping[str, object] | None = None,
        devices: Mapping[str, Mapping[str, object]] | None = None,
    ) -> ContainerInfo:
        """Replace the given parts (config, devices, profiles replace whole); others stay."""
        with self._store.transaction():
            current = self.get(name)
            info = self.validated(
                name,
                current.architecture if architecture is None else architecture,
                current.type,
                current.power_state if power_state is None else power_state,
                current.ephemeral if ephemeral is None else ephemeral,
                current.profiles if profiles is None else profiles,
                current.config if config is None else config,
                current.devices if devices is None else devices,
            )
            self.save(info)
        return self.get(name)

    def save(self, info: ContainerInfo) -> str:
        """Create the container or replace it whole; returns "created", "updated" or "unchanged"."""
        return self.save_many([info])[0]

    def save_many(self, infos: Iterable[ContainerInfo]) -> list[str]:
        """``save`` for many containers: each checked as ``save`` checks it, all of them written
        with a few statements per table rather than a dozen per container, in one transaction
        (all or none). Returns each one's outcome, in order. Thousands of containers (the demo)
        go in batches of a few hundred: memory stays flat and progress can be shown between."""
        batch = self._validated_batch(list(infos))
        t = T["containers"]
        with self._store.transaction() as conn:
            node = self._node_id
            ids = self._ids_by_name(conn, node, [info.name for info in batch])
            # those already stored, to tell updated from unchanged (one by one: a batch of
            # new containers, the demo's, has none)
            stored = {n: self._whole(conn, ("name",), {"name": n, "node": node})[0] for n in ids}
            outcomes: list[str] = []
            new: list[ContainerInfo] = []
            changed: list[ContainerInfo] = []
            for info in batch:
                if info.name not in ids:
                    outcomes.append("created")
                    new.append(info)
                elif stored[info.name] == info:
                    outcomes.append("unchanged")
                else:
                    outcomes.append("updated")
                    changed.append(info)
            if changed:
                conn.execute(
                    update(t).where(t.c.id == bindparam("cid")),
                    [{"cid": ids[info.name], **self._row(info, node)} for info in changed],
                )
            if new:
                conn.execute(insert(t), [self._row(info, node) for info in new])
                ids.update(self._ids_by_name(conn, node, [info.name for info in new]))
            self._write_children(conn, {ids[info.name]: info for info in changed + new})
        return outcomes

    def set_config(self, name: str, key: str, value: object | None) -> None:
        """Set one config key (``None`` unsets it)."""
        validate.config_key(key)
        stored = None if value is None else validate.config_value(value, f"config.{key}")
        with self._store.transaction() as conn:
            cid = self._id(conn, T["containers"], name)
            self._children.set_key(conn, cid, key, stored)

    def rename(self, name: str, new_name: str) -> None:
        validate.hostname(new_name)
        t = T["containers"]
        with self._store.transaction() as conn:
            cid = self._id(conn, t, name)
            taken = select(t.c.id).where(t.c.name == new_name, t.c.node_id == self._node_id)
            if conn.scalar(taken) is not None:
                raise AlreadyExists(self.kind, new_name)
            conn.execute(update(t).where(t.c.id == cid).values(name=new_name))
            refresh_networks(conn, [cid])  # its rows there carry its name

    def delete(self, name: str, *, force: bool = False) -> None:
        """Delete the container; a running one only with ``force`` (Running otherwise), as
        ``lxc delete`` refuses to."""
        t = T["containers"]
        with self._store.transaction() as conn:  # the state is read where the delete happens
            row = conn.execute(
                select(t.c.id, t.c.power_state).where(
                    t.c.name == name, t.c.node_id == self._node_id
                )
            ).first()
            if row is None:
                raise NotFound(self.kind, name)
            if POWER_STATES.get(row.power_state) == "running" and not force:
                raise Running(self.kind, name)
            conn.execute(delete(t).where(t.c.id == row.id))

    # -- helpers

    @staticmethod
    def validated(
        name, arch, ctype, power_state, ephemeral, profiles, config, devices
    ) -> ContainerInfo:
        """A ContainerInfo with every field checked and normalised; a ValidationError names
        the broken field (FieldErrors each of them, when several are)."""

        def profile_list() -> list[str]:
            if isinstance(profiles, str | bytes) or not isinstance(profiles, Iterable):
                raise ValidationError("profiles", profiles, "must be a list of profile names")
            names = list(profiles)
            for profile in names:
                validate.hostname(profile, "profiles")
            if len(set(names)) != len(names):
                raise ValidationError("profiles", names, "lists a profile twice")
            return names

        return ContainerInfo(
            **validate.each_field({
                "name": lambda: validate.hostname(name),
                "architecture": lambda: ARCHITECTURES[architecture(arch)],
                "type": lambda: CONTAINER_TYPES[validate.choice(ctype, CONTAINER_TYPES, "type")],
                "power_state": lambda: POWER_STATES[
                    validate.choice(power_state, POWER_STATES, "power_state")
                ],
                "ephemeral": lambda: validate.boolean(ephemeral, "ephemeral"),
                "profiles": profile_list,
                "config": lambda: validate.config_map(config),
                "devices": lambda: devices_map(devices),
            })
        )  # fmt: skip

    @staticmethod
    def _row(info: ContainerInfo, node_id: int) -> dict:
        return {
            "node_id": node_id,
            "name": info.name,
            "architecture": architecture(info.architecture),
            "type": validate.choice(info.type, CONTAINER_TYPES, "type"),
            "power_state": validate.choice(info.power_state, POWER_STATES, "power_state"),
            "ephemeral": int(info.ephemeral),
        }

    def _validated_batch(self, infos: list[ContainerInfo]) -> list[ContainerInfo]:
        """Each container checked and normalised by ``validated``. In a batch of several, a
        broken one is named by its place, as a document names it (``containers[3].name``)."""
        checked: list[ContainerInfo] = []
        names: set[str] = set()
        for index, info in enumerate(infos):
            try:
                clean = self.validated(
                    info.name, info.architecture, info.type, info.power_state, info.ephemeral,
                    info.profiles, info.config, info.devices,
                )  # fmt: skip
                if clean.name in names:
                    raise ValidationError("name", clean.name, "appears more than once")
            except ValidationError as exc:
                if len(infos) == 1:
                    raise
                placed = [
                    ValidationError(f"containers[{index}].{error.field}", error.value, error.reason)
                    for error in (exc.errors if isinstance(exc, FieldErrors) else [exc])
                ]
                raise (placed[0] if len(placed) == 1 else FieldErrors(placed)) from exc
            names.add(clean.name)
            checked.append(clean)
        return checked

    @staticmethod
    def _ids_by_name(conn: Connection, node_id: int, names: list[str]) -> dict[str, int]:
        t = T["containers"]
        ids: dict[str, int] = {}
        query = select(t.c.name, t.c.id).where(t.c.node_id == node_id)
        for chunk in chunks(names):
            ids.update(conn.execute(query.where(t.c.name.in_(chunk))).all())
        return ids

    def _write_children(self, conn: Connection, written: Mapping[int, ContainerInfo]) -> None:
        """Replace the config, devices and profile list of each container id with its info's."""
        if not written:
            return
        cp, p = T["containers_profiles"], T["profiles"]
        profile_ids: dict[str, int] = {}
        # the profiles of the containers' node only: another node's same-named one is not theirs
        query = select(p.c.name, p.c.id).where(p.c.node_id == self._node_id)
        for chunk in chunks(sorted({n for info in written.values() for n in info.profiles})):
            profile_ids.update(conn.execute(query.where(p.c.name.in_(chunk))).all())
        for info in written.values():
            missing = [n for n in info.profiles if n not in profile_ids]
            if missing:
                raise NotFound("profile", missing[0])
        self._children.replace_many(
            conn, {cid: (info.config, info.devices) for cid, info in written.items()}
        )
        for chunk in chunks(list(written)):
            conn.execute(delete(cp).where(cp.c.container_id.in_(chunk)))
        rows = [
            {"container_id": cid, "profile_id": profile_ids[name], "apply_order": order}
            for cid, info in written.items()
            for order, name in enumerate(info.profiles)
        ]
        if rows:
            conn.execute(insert(cp), rows)
        refresh_networks(conn, written)
