"""One repository per domain, reached through a Store."""

from .base import Store
from .containers import (
    CertificateInfo,
    ContainerInfo,
    ExpandedContainer,
    ImageInfo,
    ProfileInfo,
)
from .services import ServiceInfo, ServiceState, ServiceStatus, UserEntry

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
