"""Every seed table, as SQLAlchemy Core tables, one module per domain (see ``base``).

A module that needs one domain's tables imports that domain's module and builds no other's:
``nodekeeper list containers`` never builds the telemetry's tables. ``metadata``, named from
here, holds every table (naming it imports every domain): the migrations and ``db check``
compare the database with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .base import Model, UTCDateTime, utcnow

if TYPE_CHECKING:
    from . import admin, containers, nodes, services, telemetry
    from .base import metadata

DOMAINS = ("admin", "containers", "nodes", "services", "telemetry")

__all__ = [
    "Model",
    "UTCDateTime",
    "admin",
    "containers",
    "metadata",
    "nodes",
    "services",
    "telemetry",
    "utcnow",
]


def __getattr__(name: str) -> Any:
    if name != "metadata":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    for domain in DOMAINS:
        importlib.import_module(f"{__name__}.{domain}")
    from .base import metadata

    globals()["metadata"] = metadata
    return metadata
