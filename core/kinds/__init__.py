"""Every kind of resource, declared once (``base.Kind``); the CLI, the documents and the console
are drawn from this registry.

A kind is one module of this package that defines ``KIND``: adding a module adds the kind to
``nodekeeper list/show/export/apply/delete``, to documents and to the console, which gives it a
section (with a custom look only if ``tui/looks/`` has one for it)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

from .base import Kind

__all__ = ["KINDS", "LISTED", "Kind", "by_name", "of_resource"]


def _discover() -> tuple[Kind[Any], ...]:
    found = []
    for module in pkgutil.iter_modules(__path__):
        if module.name == "base":
            continue
        kind = getattr(importlib.import_module(f"{__name__}.{module.name}"), "KIND", None)
        if isinstance(kind, Kind):
            found.append(kind)
    return tuple(sorted(found, key=lambda kind: kind.order))


KINDS = _discover()  # in their order: sections, help and the CLI's choices follow it
LISTED = tuple(kind for kind in KINDS if kind.listed)
_BY_NAME = {kind.name: kind for kind in KINDS} | {kind.plural: kind for kind in KINDS}


def by_name(name: str) -> Kind[Any]:
    """The kind named ``name``, singular or plural; KeyError otherwise."""
    return _BY_NAME[name]


def of_resource(resource: object) -> Kind[Any]:
    """The kind of a resource (a ContainerInfo, a document's ServiceDoc, ...)."""
    return _by_type()[type(resource)]


@cache
def _by_type() -> dict[type, Kind[Any]]:
    # On first use, not when the kinds load: most resource types are the store's.
    return {cls: kind for kind in KINDS for cls in kind.resource_types}
