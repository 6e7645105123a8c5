"""Where the database is: the argument (CLI --db), $NODEKEEPER_DB, then the default file."""

from __future__ import annotations

import math
import os
from pathlib import Path

ENV_VAR = "NODEKEEPER_DB"
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


# Tunables live in the store's server config (``nodekeeper`` config keys), so every node and the
# TUI see the same values; these are their defaults and what each means.
TUNABLES: dict[str, tuple[type, object, str]] = {
    "collector.interval": (float, 2.0, "seconds between collector readings"),
    "traffic.period": (str, "day", "accounting period: hour, day or month"),
    "traffic.max_rate": (int, 10_000_000_000, "bits/s; a faster delta is discarded as bogus"),
    "retention.raw_hours": (int, 48, "hours of raw metric samples kept"),
    "retention.hourly_days": (int, 365, "days of hourly aggregates kept"),
    "retention.daily_days": (int, 1825, "days of daily aggregates kept"),
    "retention.events_days": (int, 30, "days of log events and traces kept"),
    "retention.traffic_days": (int, 1825, "days of finished traffic periods kept"),
    "retention.audit_days": (int, 365, "days of audit log entries kept"),
}
TRAFFIC_PERIODS = ("hour", "day", "month")


def tunable(store, key: str):
    """The typed value of a tunable: the store's config value, else its default.

    A stored value that does not parse is a ValidationError naming the key and the value.
    """
    from .errors import ValidationError

    kind, default, _ = TUNABLES[key]
    raw = store.config.get(key)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValidationError(key, raw, f"must be a {kind.__name__}") from None
    if kind in (int, float) and not (math.isfinite(value) and value > 0):
        raise ValidationError(key, raw, "must be greater than 0")
    if key == "traffic.period" and value not in TRAFFIC_PERIODS:
        raise ValidationError(key, raw, f"must be one of: {', '.join(TRAFFIC_PERIODS)}")
    return value
