"""nodekeeper's core: the store of one node, for the CLI, the TUI and scripts.

from core import open_store
store = open_store()                       # --db / $NODEKEEPER_DB / the default file
store.containers.using_network("br0")      # answered in SQL, profiles included
store.containers.expanded("web1")          # effective config and devices, with origins
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .errors import (
    AlreadyExists,
    DocumentError,
    InUse,
    NodekeeperError,
    NotFound,
    ReadOnly,
    Running,
    SchemaTooNew,
    StoreError,
    ValidationError,
)

if TYPE_CHECKING:
    from .store import (
        CertificateInfo,
        ContainerInfo,
        ExpandedContainer,
        ImageInfo,
        ProfileInfo,
        ServiceInfo,
        ServiceState,
        ServiceStatus,
        Store,
        UserEntry,
    )

__all__ = [
    "AlreadyExists", "CertificateInfo", "ContainerInfo", "DocumentError", "ExpandedContainer",
    "ImageInfo", "InUse", "NodekeeperError", "NotFound", "ProfileInfo", "ReadOnly", "Running",
    "SchemaTooNew", "ServiceInfo", "ServiceState", "ServiceStatus", "Store", "StoreError",
    "UserEntry", "ValidationError", "open_store",
]  # fmt: skip

# The store's names load with the store, and SQLAlchemy with it, when first used (``from core
# import Store``, or open_store() called): ``import core`` alone, which every ``core.*`` import
# runs first, stays light, so that ``nodekeeper --help`` answers at once (issue 12).
_STORE_NAMES = frozenset(
    {"CertificateInfo", "ContainerInfo", "ExpandedContainer", "ImageInfo", "ProfileInfo",
     "ServiceInfo", "ServiceState", "ServiceStatus", "Store", "UserEntry"}
)  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in _STORE_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import store

    value = getattr(store, name)
    globals()[name] = value  # found directly from now on
    return value


def open_store(
    url: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    upgrade_schema: bool = True,
    create: bool = True,
    node: str | None = None,
    add_node: bool = True,
) -> Store:
    """Open the store at ``url`` (a path, ``:memory:`` or an SQLAlchemy URL), else at
        ``$NODEKEEPER_DB``, else at the default file; bring its schema up to date.

        ``create`` says whether the caller may make a new database: a missing SQLite file is created
        (with its directory) and an empty database gets the schema; ``store.created`` then says so,
    and ``store.made_file`` whether this call made the SQLite file itself.
        With ``create=False`` a location that holds no nodekeeper database is a StoreError and is
        left as it was: what only reads must not leave an empty database behind a mistyped path.
        ``read_only`` refuses every write (ReadOnly); a file that cannot be written opens read-only
        with a warning. ``upgrade_schema=False`` opens without migrating (``nodekeeper db status``).
        Raises StoreError with the path when the database cannot be used, SchemaTooNew when it was
        written by a newer nodekeeper.

        ``node`` names the node whose rows the store reads and writes (else ``$NODEKEEPER_NODE``,
        else this host's name; on SQLite, a file holding one node keeps using it). A writable
        store adds the node to the database when it is not there yet (``store.node_created``).
        With ``add_node=False`` it does not: a node named but absent is then a NotFound, and this
        host's node, absent, has no rows to read (``store.node_id`` is 0).
    """
    from sqlalchemy.exc import DBAPIError

    from .db.engine import (
        create_store_engine,
        driver_message,
        enable_wal,
        parse_location,
        remove_sqlite_files,
    )
    from .db.migrate import head_version, is_current, read_status, upgrade
    from .settings import resolve_location, resolve_node
    from .store import Store

    location = parse_location(resolve_location(url))
    node = resolve_node(node)
    engine, read_only, made_file = create_store_engine(location, read_only, create)
    created = False
    try:
        # The usual case, a database at the newest schema, costs one query and no Alembic.
        if not is_current(engine):
            status = read_status(engine)  # refuses a schema that is too new, touches nothing
            if upgrade_schema and not status.up_to_date:
                if status.current is None and not create and not location.in_memory:
                    raise StoreError(
                        f"{location.display} holds no nodekeeper database (nothing to read)"
                    )
                if read_only:
                    raise StoreError(
                        f"{location.display} has schema version {status.current or 0}, this "
                        f"nodekeeper needs {head_version()}; open it writable to upgrade it"
                    )
                upgrade(engine, location.path)
                created = status.current is None and not location.in_memory
        if upgrade_schema and location.path is not None and not read_only:
            enable_wal(engine)
    except BaseException as exc:
        engine.dispose()
        if made_file:  # the empty file made for this store (a full disk...): as it was, none
            remove_sqlite_files(location.path)
        if not isinstance(exc, DBAPIError):
            raise
        if "not a database" in str(exc.orig):
            raise StoreError(f"{location.display} is not a SQLite database") from None
        raise StoreError(
            f"cannot open database {location.display}: {driver_message(exc.orig)}"
        ) from None
    store = Store(engine, location, read_only, node=node)
    store.created = created
    store.made_file = made_file
    if upgrade_schema:
        try:
            node_id, name = store.settle_node(add=add_node)
        except BaseException:
            store.close()
            raise
        if node_id == 0 and node is not None and not add_node:
            known = store.nodes.names()
            store.close()
            raise NotFound("node", name, f"nodes here: {', '.join(known) or 'none'}")
    return store
