"""The profiles section."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from core import ContainerInfo, ProfileInfo

from .format import joined
from .resource_panel import ResourcePanel, Row


def profile_rows(profiles: Iterable[ProfileInfo], containers: Iterable[ContainerInfo]) -> list[Row]:
    """One row per profile; "used by" counts the given containers that apply it."""
    users = Counter(name for c in containers for name in c.profiles)
    return [
        (
            p.name,
            (p.name, p.description, len(p.config), joined(p.devices), users[p.name]),
        )
        for p in profiles
    ]


class ProfilesPanel(ResourcePanel):
    COLUMNS = (
        ("name", "Name"),
        ("description", "Description"),
        ("config", "Config keys"),
        ("devices", "Devices"),
        ("used_by", "Used by"),
    )
    RIGHT_ALIGNED = frozenset({"config", "used_by"})
    EMPTY_HINT = (
        "No profiles. Import some with `nodekeeper import-lxc DIR` or `nodekeeper apply FILE`."
    )
