"""The containers section."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core import ContainerInfo, ProfileInfo
from core.store.containers import expand, networks_of

from .format import joined, short_id
from .resource_panel import ResourcePanel, Row


def container_networks(container: ContainerInfo, profiles: Mapping[str, ProfileInfo]) -> list[str]:
    """Networks of the container's nics, its own and its profiles' (like `nodekeeper list`).

    A profile missing from ``profiles`` (changed between two reads) falls back to the
    container's own devices rather than failing the whole table.
    """
    if all(name in profiles for name in container.profiles):
        return networks_of(expand(container, profiles).devices)
    return networks_of(container.devices)


def container_rows(
    containers: Iterable[ContainerInfo], profiles: Iterable[ProfileInfo]
) -> list[Row]:
    by_name = {p.name: p for p in profiles}
    return [
        (
            c.name,
            (
                c.name,
                c.power_state,
                c.architecture,
                joined(c.profiles),
                joined(container_networks(c, by_name)),
                short_id(c.image),
            ),
        )
        for c in containers
    ]


class ContainersPanel(ResourcePanel):
    COLUMNS = (
        ("name", "Name"),
        ("state", "State"),
        ("architecture", "Architecture"),
        ("profiles", "Profiles"),
        ("networks", "Networks"),
        ("image", "Image"),
    )
    EMPTY_HINT = (
        "No containers. Import some with `nodekeeper import-lxc DIR` or `nodekeeper apply FILE`."
    )
