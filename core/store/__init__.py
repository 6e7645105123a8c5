"""One repository per entity (containers, profiles, images, ...), reached through a Store.

The resource types are imported from their repository's module when first named here (``from
core.store import ServiceInfo``), so that what lists containers loads no other repository."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .base import Store

if TYPE_CHECKING:
    from .certificates import CertificateInfo
    from .containers import ContainerInfo, ExpandedContainer
    from .images import ImageInfo
    from .profiles import ProfileInfo
    from .services import ServiceInfo, ServiceState, ServiceStatus, UserEntry

# Each resource type and the module that defines it.
_HOMES = {
    "CertificateInfo": "certificates",
    "ContainerInfo": "containers",
    "ExpandedContainer": "containers",
    "ImageInfo": "images",
    "ProfileInfo": "profiles",
    "ServiceInfo": "services",
    "ServiceState": "services",
    "ServiceStatus": "services",
    "UserEntry": "services",
}

__all__ = [
    "CertificateInfo",
    "ContainerInfo",
    "ExpandedContainer",
    "ImageInfo",
    "ProfileInfo",
    "ServiceInfo",
    "ServiceState",
    "ServiceStatus",
    "Store",
    "UserEntry",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
