"""One repository per entity (containers, profiles, images, ...), reached through a Store."""

from .base import Store
from .certificates import CertificateInfo
from .containers import ContainerInfo, ExpandedContainer
from .images import ImageInfo
from .profiles import ProfileInfo
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
