"""Section 5: services, their state, limits, traffic this period and the claim sets using them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from textual.content import Content

from core import AlreadyExists, ServiceInfo, UserEntry
from core.store.services import traffic_chains, validated
from core.store.traffic import ChainInfo
from core.traffic_rules import service_chain

from ..widgets.detail_pane import Detail
from ..widgets.form import Field, FormModal
from ..widgets.format import human_size, utc_minutes
from ..widgets.resource_table import Cell, Column
from ..widgets.safe import safe
from .fields import int_text, optional_int, optional_text
from .resource import DeletePlan, ResourceSection, Rows

STATE_STYLE = {"running": "green", "stopped": "dim", "failed": "red", "unknown": "yellow",
               "starting": "cyan", "stopping": "cyan"}  # fmt: skip
STATUS_STYLE = {"error": "red", "limit_exceeded": "yellow bold"}
# The configuration a form edits; state, status, start_at and main_pid belong to systemd.
CONFIG_FIELDS = ("service", "version", "path", "user", "permissions", "ttl", "ul_limit",
                 "dl_limit", "storage_limit", "state_limit", "alert_rules")  # fmt: skip
LIMITS = (("ul_limit", "upload (out)"), ("dl_limit", "download (in)"),
          ("storage_limit", "storage"), ("state_limit", "state"))  # fmt: skip


@dataclass(frozen=True)
class ServicesData:
    services: dict[str, ServiceInfo]
    users: dict[str, list[UserEntry]]  # service id -> claim sets bound to it
    traffic: dict[str, ChainInfo]  # chain name -> its current period


def traffic_of(data: ServicesData, service_id: str, direction: str) -> ChainInfo | None:
    return data.traffic.get(service_chain(service_id, direction))


def size_or_blank(value: int | None) -> str:
    return "" if value is None else human_size(value)


def limit_note(used: int | None, limit: int | None) -> str:
    if not limit:
        return "no limit"
    if used is None:
        return f"limit {human_size(limit)}"
    return f"{used / limit:.0%} of {human_size(limit)}"


class ServicesSection(ResourceSection[ServicesData]):
    KIND = "service"
    TITLE = "Services"
    # The long unit names last, so the numbers stay on screen at 80 columns. A service's state
    # and status ("limit_exceeded", "error") say more than its counts: they stay whole, the
    # numbers going first on a narrower terminal.
    COLUMNS = (
        Column("id", "ID", priority=1),
        Column("state", "State", priority=1),
        Column("status", "Status", priority=1),
        Column("in", "In", numeric=True),
        Column("out", "Out", numeric=True),
        Column("users", "Users", numeric=True, priority=3),
        Column("ttl", "TTL d", numeric=True),
        Column("version", "Ver", numeric=True, priority=4),
        Column("unit", "Unit", priority=4),
    )
    EMPTY_HINT = "No services. Press n to add one, or apply a document with [[services]]."

    def fetch(self) -> ServicesData:
        store = self.store
        with store.reading():
            services = store.services.list()
            users: dict[str, list[UserEntry]] = {s.id: [] for s in services}
            for entry in store.users.entries():
                users.setdefault(entry.service_id, []).append(entry)
            traffic = {c.chain: c for c in store.traffic.chains() if c.chain.startswith("service:")}
        return ServicesData({s.id: s for s in services}, users, traffic)

    def rows(self, data: ServicesData) -> Rows:
        rows: Rows = {}
        for s in data.services.values():
            inbound, outbound = traffic_of(data, s.id, "in"), traffic_of(data, s.id, "out")
            rows[s.id] = (
                Cell(s.id),
                Cell(s.state, style=STATE_STYLE.get(s.state, "")),
                Cell(s.status, style=STATUS_STYLE.get(s.status, "")),
                Cell(size_or_blank(inbound and inbound.value), sort=inbound and inbound.value,
                     justify="right"),
                Cell(size_or_blank(outbound and outbound.value), sort=outbound and outbound.value,
                     justify="right"),
                Cell(len(data.users.get(s.id, [])), justify="right"),
                Cell(s.ttl, justify="right"),
                Cell(s.version, justify="right"),
                Cell(s.service),
            )  # fmt: skip
        return rows

    def detail(self, data: ServicesData, key: str) -> Detail:
        s = data.services[key]
        d = Detail(s.id)
        d.field("state", s.state, style=STATE_STYLE.get(s.state, ""))
        d.field("status", s.status, style=STATUS_STYLE.get(s.status, ""))
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
            chain = traffic_of(data, s.id, direction)
            if chain is None:
                d.field(label, "", "not counted yet")
                continue
            since = f", since {utc_minutes(chain.period_start)}" if chain.period_start else ""
            d.field(label, human_size(chain.value), limit_note(chain.value, limit) + since)
        users = data.users.get(key, [])
        d.heading("Users", len(users))
        if not users:
            d.line("no claim set is bound to it", "dim")
        for entry in users:
            d.field(entry.key, entry.storage_folder or "", "storage folder")
        return d

    def form(self, data: ServicesData, key: str | None) -> FormModal[str]:
        current = data.services[key] if key is not None else None
        store = self.store

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
            return {name: values[name] for name in CONFIG_FIELDS}

        def validate(values: dict[str, Any]) -> None:
            cfg = config(values)
            if cfg["version"] is None:
                cfg["version"] = 0
            validated(ServiceInfo(id=values["id"], **cfg))
            if current is None and values["id"] in data.services:
                raise AlreadyExists("service", values["id"])

        def submit(values: dict[str, Any]) -> str:
            cfg = config(values)
            if cfg["version"] is None:
                cfg["version"] = 0
            if current is None:
                return store.services.create(values["id"], **cfg).id
            return store.services.update(current.id, **cfg).id

        title = f"Edit service {current.id!r}" if current else "New service"
        return FormModal(title, fields, submit, validate=validate)

    def delete_plan(self, data: ServicesData, key: str) -> DeletePlan:
        s = data.services[key]
        users = data.users.get(key, [])
        parts: list[Content | str] = ["Delete service ", safe(s.id, "bold"), "?\n\n"]
        if users:
            parts += [f"What goes with it: {len(users)} claim set bindings:\n"]
            for entry in users:
                parts += ["  ", safe(entry.key), "\n"]
        else:
            parts += ["No claim set is bound to it.\n"]
        # core deletes both chains and their history with the service, counted or not
        chains = []
        for chain in traffic_chains(s.id):
            counted = data.traffic.get(chain)
            chains.append(
                f"{chain} ({human_size(counted.value)} this period)" if counted else chain
            )
        parts += ["Its traffic chains go too, with their history: ", safe(", ".join(chains)), "."]
        return DeletePlan(
            f"Delete service {s.id!r}",
            Content.assemble(*parts),
            partial(self.store.services.delete, s.id),
            f"Deleted service {s.id!r}.",
        )
