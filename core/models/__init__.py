"""Every seed table, as SQLAlchemy Core tables, one module per domain (see ``base``)."""

from . import admin, containers, services, telemetry
from .base import Model, UTCDateTime, metadata, utcnow

__all__ = [
    "Model",
    "UTCDateTime",
    "admin",
    "containers",
    "metadata",
    "services",
    "telemetry",
    "utcnow",
]
