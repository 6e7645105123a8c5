"""Traffic accounting per chain that survives restarts, reboots and counter wraps."""

from __future__ import annotations

from .repo import Repo


class TrafficRepo(Repo):
    kind = "traffic chain"
