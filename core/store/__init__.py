"""One repository per domain, reached through a Store."""

from .base import Store
from .containers import (
    CertificateInfo,
    ContainerInfo,
    ExpandedContainer,
    ImageInfo,
    ProfileInfo,
)

__all__ = [
    "CertificateInfo",
    "ContainerInfo",
    "ExpandedContainer",
    "ImageInfo",
    "ProfileInfo",
    "Store",
]
