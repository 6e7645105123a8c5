"""SQLAlchemy models of every seed table, one module per domain."""

from . import admin, containers, services, telemetry
from .base import Base, UTCDateTime, utcnow

metadata = Base.metadata

__all__ = [
    "Base",
    "UTCDateTime",
    "admin",
    "containers",
    "metadata",
    "services",
    "telemetry",
    "utcnow",
]
