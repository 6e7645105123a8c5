"""Metrics history: raw samples, hourly and daily rollups, retention and statistics."""

from __future__ import annotations

from .repo import Repo


class TelemetryRepo(Repo):
    kind = "metric"
