"""The services' look: state, limits, traffic this period, the claim sets using them; the
form (the configuration: state, status, start_at and main_pid belong to systemd)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from core import AlreadyExists, ServiceInfo
from core.kinds import Kind
from core.store.services import validated
from core.text import human_size, utc_minutes

from ..widgets.detail_pane import Detail
from ..widgets.form import Field, FormModal
from .base import Look, tone_style
from .fields import int_text, optional_int, optional_text

if TYPE_CHECKING:
    from core import Store
    from core.kinds.services import Services

# The configuration a form edits; state, status, start_at and main_pid belong to systemd.
CONFIG_FIELDS = ("service", "version", "path", "user", "permissions", "ttl", "ul_limit",
                 "dl_limit", "storage_limit", "state_limit", "alert_rules")  # fmt: skip
LIMITS = (("ul_limit", "upload (out)"), ("dl_limit", "download (in)"),
          ("storage_limit", "storage"), ("state_limit", "state"))  # fmt: skip


def size_or_blank(value: int | None) -> str:
    return "" if value is None else human_size(value)


def limit_note(used: int | None, limit: int | None) -> str:
    if not limit:
        return "no limit"
    if used is None:
        return f"limit {human_size(limit)}"
    return f"{used / limit:.0%} of {human_size(limit)}"


class ServicesLook(Look):
    def detail(self, kind: Kind[Any], data: Services, key: str) -> Detail:
        s = data.items[key]
        d = Detail(s.id)
        d.field("state", s.state, style=tone_style(kind, "state", s.state))
        d.field("status", s.status, style=tone_style(kind, "status", s.status))
        d.field("unit", s.service)
        d.field("main pid", s.main_pid)
        d.field("started", utc_minutes(s.start_at), "UTC" if s.start_at else "")
        expires: datetime | None = s.expires_at()
        d.field("ttl", f"{s.ttl} days" if s.ttl is not None else "",
                f"expires {utc_minutes(expires)} UTC" if expires else "never expires")  # fmt: skip
        d.field("version", s.version)
        d.field("path", s.path)
        d.field("linux user", s.user)
        d.field("permissions", s.permissions)
        d.field("alert rules", s.alert_rules)
        d.heading("Limits")
        for name, label in LIMITS:
            value = getattr(s, name)
            d.field(label, size_or_blank(value), f"{value} bytes" if value else "")
        d.heading("Traffic this period")
        for direction, limit, label in (("in", s.dl_limit, "in (download)"),
                                        ("out", s.ul_limit, "out (upload)")):  # fmt: skip
            chain = data.context.traffic_of(s.id, direction)
            if chain is None:
                d.field(label, "", "not counted yet")
                continue
            since = f", since {utc_minutes(chain.period_start)}" if chain.period_start else ""
            d.field(label, human_size(chain.value), limit_note(chain.value, limit) + since)
        users = data.context.users.get(key, [])
        d.heading("Users", len(users))
        if not users:
            d.line("no claim set is bound to it", "dim")
        for entry in users:
            d.field(entry.key, entry.storage_folder or "", "storage folder")
        return d

    def form(self, store: Store, data: Services, key: str | None) -> FormModal[str]:
        current = data.items[key] if key is not None else None

        def number(name: str) -> partial[int | None]:
            return partial(optional_int, field=name)

        def value(name: str) -> str:
            held = None if current is None else getattr(current, name)
            return int_text(held) if isinstance(held, int) else (held or "")

        fields = [
            Field("id", "ID", current.id if current else "", disabled=current is not None,
                  placeholder="svc1", errors=("service",) if current is None else ()),
            Field("service", "systemd unit", value("service"), check=optional_text,
                  placeholder="aos_svc1.service"),
            Field("version", "Version", value("version") or "0", check=number("version")),
            Field("path", "Image path", value("path"), check=optional_text),
            Field("user", "Linux user", value("user"), check=optional_text),
            Field("permissions", "Permissions", value("permissions"), check=optional_text),
            Field("ttl", "TTL (days)", value("ttl"), check=number("ttl"),
                  placeholder="empty: never expires"),
            Field("ul_limit", "Upload limit", value("ul_limit"), check=number("ul_limit"),
                  placeholder="bytes per period"),
            Field("dl_limit", "Download limit", value("dl_limit"), check=number("dl_limit"),
                  placeholder="bytes per period"),
            Field("storage_limit", "Storage limit", value("storage_limit"),
                  check=number("storage_limit"), placeholder="bytes"),
            Field("state_limit", "State limit", value("state_limit"),
                  check=number("state_limit"), placeholder="bytes"),
            Field("alert_rules", "Alert rules", value("alert_rules"), check=optional_text),
        ]  # fmt: skip

        def config(values: dict[str, Any]) -> dict[str, Any]:
            """The form's values as core takes them: an empty version is version 0."""
            cfg = {name: values[name] for name in CONFIG_FIELDS}
            if cfg["version"] is None:
                cfg["version"] = 0
            return cfg

        def validate(values: dict[str, Any]) -> None:
            validated(ServiceInfo(id=values["id"], **config(values)))
            if current is None and values["id"] in data.items:
                raise AlreadyExists("service", values["id"])

        def submit(values: dict[str, Any]) -> str:
            cfg = config(values)
            if current is None:
                return store.services.create(values["id"], **cfg).id
            return store.services.update(current.id, **cfg).id

        title = f"Edit service {current.id!r}" if current else "New service"
        return FormModal(title, fields, submit, validate=validate)


LOOK = ServicesLook()
