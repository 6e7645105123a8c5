"""Services and the claim sets (users) bound to them (seed 000)."""

from __future__ import annotations

from .repo import Repo


class ServiceRepo(Repo):
    kind = "service"


class UserRepo(Repo):
    kind = "claim set"
