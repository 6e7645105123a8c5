"""Where the database is: the argument (CLI --db), $NODEKEEPER_DB, then the default file; and
the node in use: the argument (CLI --node), $NODEKEEPER_NODE, then the host's."""

from __future__ import annotations

import logging
import math
import os
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import validate
from .claims import parse_claims
from .errors import ABSENT, ValidationError

ENV_VAR = "NODEKEEPER_DB"
NODE_ENV_VAR = "NODEKEEPER_NODE"
SYSTEM_PATH = Path("/var/lib/nodekeeper/nodekeeper.db")


def default_db_path() -> Path:
    """The system file when running as root, else the user's XDG data directory."""
    if os.geteuid() == 0:
        return SYSTEM_PATH
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "nodekeeper" / "nodekeeper.db"


def resolve_location(url: str | os.PathLike[str] | None = None) -> str:
    """The database location as given, or from the environment, or the default path.

    A location given as an empty string is refused (``--db ''`` is a mistake, not a request for
    the default); an empty ``$NODEKEEPER_DB`` counts as unset, as shells leave it so."""
    from .errors import StoreError

    if url is not None:
        location = os.fspath(url)
        if location == "":
            raise StoreError(
                "the database location is empty: give a file path, :memory: or a URL "
                f"(or leave it out for ${ENV_VAR}, then the default file)"
            )
        return location
    return os.environ.get(ENV_VAR) or str(default_db_path())


def resolve_node(node: str | None = None) -> str | None:
    """The node named by the argument, else by ``$NODEKEEPER_NODE`` (empty counts as unset),
    checked; None when neither names one: the store then takes the host's name, or on SQLite the
    one node the file holds (a renamed host keeps its data)."""
    if node is None:
        node = os.environ.get(NODE_ENV_VAR) or None
        if node is None:
            return None
        return validate.node_name(node, f"${NODE_ENV_VAR}")
    return validate.node_name(node)


def host_node_name() -> str:
    """This host's name as a node name (what a node is called unless told otherwise)."""
    import socket

    return socket.gethostname() or "localhost"


# The server config's keys and their rules, in one place: the store (``store.config.set`` and
# ``replace``), ``apply`` (each key of a ``[config]`` table) and ``db check`` refuse a value that
# breaks its key's rule, and the collector reads values through ``tunable``. Three kinds of keys
# are accepted:
#
# - nodekeeper's settings (SETTINGS below), each with a type, a range or choices, and a default;
# - ``user.*`` keys, free-form by convention as in LXD;
# - LXD's own server keys, under LXD's namespaces (``core.https_address``,
#   ``images.auto_update_interval``...): an LXD-shaped store keeps them, LXD checks them.
#
# Any other key is refused, so that a typo (``collector.intervall``) cannot pass silently.

log = logging.getLogger("nodekeeper")

TRAFFIC_PERIODS = ("hour", "day", "month")
FREE_FORM_PREFIX = "user."
LXD_NAMESPACES = (
    "acme", "backups", "candid", "cluster", "core", "images", "instances", "loki", "maas",
    "network", "oidc", "rbac", "storage",
)  # fmt: skip


@dataclass(frozen=True)
class Setting:
    """One known server config key: ``read(key, text)`` is its typed value, or a
    ValidationError naming the key and the rule; ``default`` is used while it is unset."""

    read: Callable[[str, str], object]
    default: object
    meaning: str


def _number(kind: type[int] | type[float], low: float, high: float, unit: str) -> Callable:
    word = "a whole number" if kind is int else "a number"
    rule = f"must be {word} of {unit} from {low} to {high}"

    def read(key: str, text: str):
        try:
            value = kind(text)
        except ValueError:
            raise ValidationError(key, text, rule) from None
        if not (math.isfinite(value) and low <= value <= high):
            raise ValidationError(key, text, rule)
        return value

    return read


def _choice(*choices: str) -> Callable:
    rule = f"must be one of: {', '.join(choices)}"

    def read(key: str, text: str) -> str:
        if text not in choices:
            raise ValidationError(key, text, rule)
        return text

    return read


def _claim_set(key: str, text: str) -> list[str]:
    return parse_claims(text, key)


HOURS_100_YEARS, DAYS_100_YEARS = 876_000, 36_500
SETTINGS: dict[str, Setting] = {
    "collector.interval": Setting(
        _number(float, 0.1, 86_400, "seconds"), 2.0, "seconds between collector readings"
    ),
    "traffic.period": Setting(
        _choice(*TRAFFIC_PERIODS), "day", "accounting period: hour, day or month"
    ),
    "traffic.max_rate": Setting(
        _number(int, 1, 10**15, "bits/s"), 10_000_000_000, "a faster delta is discarded as bogus"
    ),
    "retention.raw_hours": Setting(
        _number(int, 1, HOURS_100_YEARS, "hours"), 48, "hours of raw metric samples kept"
    ),
    **{
        f"retention.{name}_days": Setting(
            _number(int, 1, DAYS_100_YEARS, "days"), default, f"days of {what} kept"
        )
        for name, default, what in (
            ("hourly", 365, "hourly aggregates"),
            ("daily", 1825, "daily aggregates"),
            ("events", 30, "log events and traces"),
            ("traffic", 1825, "finished traffic periods"),
            ("audit", 365, "audit log entries"),
        )
    },
    "users.current": Setting(_claim_set, None, "the current claim set (services expire)"),
    # The threat score (core.store.threats): how fast it fades, and networks never scored.
    "threats.half_life_hours": Setting(
        _number(float, 0.01, HOURS_100_YEARS, "hours"),
        24.0,
        "hours after which an IP's threat score has halved since it was last seen",
    ),
    "threats.allow": Setting(
        lambda key, text: _networks(key, text),
        (),
        "networks (CIDRs, IPv4 or IPv6, separated by commas or spaces) whose IPs score 0",
    ),
    # Event traces (core.collect.logs.traces): the collector's bound on them.
    "traces.per_second": Setting(
        _number(int, 0, 10_000, "traces per second"),
        20,
        "event traces (the process and connections of a security or error event) taken per "
        "second at most, the rest counted as skipped; 0: none",
    ),
    # Trace patterns: at least COUNT (events, users or IPs) within WINDOW seconds.
    **{
        f"patterns.{name}.{part}": Setting(
            _number(
                int,
                1,
                10**9 if part == "count" else DAYS_100_YEARS * 86_400,
                what if part == "count" else "seconds",
            ),
            value,
            f"{meaning}: {'at least this many ' + what if part == 'count' else 'within these seconds'}",
        )
        for name, count, window, what, meaning in (
            ("brute_force", 10, 600, "failed logins", "brute force from one IP"),
            ("password_spray", 5, 3600, "users tried", "password spraying from one IP"),
            ("distributed", 10, 3600, "IPs", "one user's failed logins from many IPs"),
            ("sweep", 5, 3600, "IPs", "hostile IPs of one /24 (IPv4) or /64 (IPv6)"),
            ("unit_failed", 3, 3600, "failures", "a unit failing repeatedly"),
            ("io_error", 5, 600, "I/O errors", "I/O errors on one device"),
        )
        for part, value in (("count", count), ("window", window))
    },
}


def _networks(key: str, text: str) -> tuple:
    """CIDRs separated by commas or spaces (``10.0.0.0/8, 2001:db8::/32``), as ip_network
    objects; an address alone is its /32 or /128."""
    import ipaddress

    found = []
    for word in text.replace(",", " ").split():
        try:
            found.append(ipaddress.ip_network(word, strict=False))
        except ValueError:
            raise ValidationError(
                key,
                text,
                f"{word!r} is not a network: give CIDRs such as 192.0.2.0/24 or 2001:db8::/32",
            ) from None
    return tuple(found)


def checked_config(key: object, value: object, table: str = "") -> str:
    """The text to store for server config ``key`` = ``value``; a ValidationError names the key
    and the rule it breaks (see the comment above SETTINGS for which keys are accepted). Within
    a document the key is at ``table.KEY``, a key that breaks the form of keys at ``table``."""
    validate.config_key(key, table or "config key")
    place = f"{table}.{key}" if table else key
    text = validate.config_value(value, place)
    setting = SETTINGS.get(key)
    if setting is not None:
        setting.read(place, text)
    elif not (key.startswith(FREE_FORM_PREFIX) or key.split(".", 1)[0] in LXD_NAMESPACES):
        raise ValidationError(
            place,
            ABSENT,
            f"is not a known key: nodekeeper's are {', '.join(SETTINGS)}; free-form keys "
            f"are {FREE_FORM_PREFIX}*; LXD's own are {', '.join(f'{n}.*' for n in LXD_NAMESPACES)}",
        )
    return text


def checked_config_map(config: object) -> dict[str, str]:
    """A whole server config checked as ``checked_config`` checks each key; None values are
    left out (unset)."""
    if not isinstance(config, Mapping):
        raise ValidationError("config", config, "must be a table of key = value")
    return {key: checked_config(key, value) for key, value in config.items() if value is not None}


def stored_config_problems(config: Mapping[str, str]) -> list[str]:
    """What ``db check`` says of a stored config: each value that breaks its key's rule."""
    problems = []
    for key, value in config.items():
        try:
            checked_config(key, value)
        except ValidationError as exc:
            problems.append(f"server config {exc}")
    return problems


# Per store, the (key, value) of the bad stored values already logged.
_told: weakref.WeakKeyDictionary[object, set[tuple[str, str]]] = weakref.WeakKeyDictionary()


def tunable(store, key: str):
    """The typed value of a setting: the store's config value, else its default.

    A stored value that breaks its rule (written before the rule existed, or by hand) never
    stops a reader such as the collector: it is logged once per store and the default used.
    """
    setting = SETTINGS[key]
    raw = store.config.get(key)
    if raw is None:
        return setting.default
    try:
        return setting.read(key, raw)
    except ValidationError as exc:
        told = _told.setdefault(store, set())
        if (key, raw) not in told:
            told.add((key, raw))
            log.warning("server config %s; using the default, %r", exc, setting.default)
        return setting.default
