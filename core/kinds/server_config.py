"""The server config: the store's own settings and LXD's server keys, one table per store. It
is shown and exported (``nodekeeper show config``) and applied from a document's ``[config]``
table; it is not listed and cannot be deleted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import settings, validate
from ..errors import ValidationError
from .base import Kind

if TYPE_CHECKING:
    from ..store import Store


@dataclass
class ServerConfigDoc:
    config: dict[str, str]
    name: str = "server"


class ServerConfigKind(Kind[ServerConfigDoc]):
    name = "config"
    plural = "config"  # a document's [config] table: one per store, not an array
    title = "Server config"
    order = 90
    apply_order = 0  # first: it holds users.current, which the services rules read
    singleton = True
    names_help = "none: there is one server config"
    known_keys = ("config", "name")
    removed_on_apply = "keys"

    @property
    def resource_types(self) -> tuple[type, ...]:
        return (ServerConfigDoc,)

    def get(self, store: Store, name: str | None = None, scope: str | None = None):
        return ServerConfigDoc(store.config.all())

    def to_table(self, resource: ServerConfigDoc) -> dict[str, Any]:
        return {"config": dict(resource.config)}

    def from_table(self, body: Mapping[str, Any]) -> ServerConfigDoc:
        """Every key checked by core.settings' rules; its problems are at ``config.KEY``
        (``config.bogus.key: is not a known key ...``)."""
        config = body.get("config", {})
        if not isinstance(config, Mapping):
            raise ValidationError("config", config, "must be a table of key = value")
        checks = {
            key: lambda key=key, value=value: settings.checked_config(key, value, "config")
            for key, value in config.items()
        }
        return ServerConfigDoc(validate.each_field(checks))  # type: ignore[arg-type]

    def save(self, store: Store, resource: ServerConfigDoc) -> str:
        return store.config.replace(resource.config)


KIND = ServerConfigKind()
