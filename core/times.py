"""Points in time as admins type them: ``--since``/``--until`` of ``nodekeeper logs``.

Accepted, as journalctl and lnav users know them:

- ISO-8601: ``2026-12-05``, ``2026-12-05 14:30``, ``2026-12-05T14:30:00+01:00``, ``...Z``; a
  time without an offset is the node's local time;
- relative, before now: ``-1h``, ``-30m``, ``-2d``, ``-1w``, ``-90s`` (the minus may be left out:
  ``1h`` is an hour ago), units s, m, h, d, w;
- ``now``, ``today`` (local midnight), ``yesterday`` (the local midnight before).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from .errors import ValidationError

_RELATIVE = re.compile(r"-?\s*(\d+(?:\.\d+)?)\s*([smhdw])", re.ASCII)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
HELP = "ISO-8601 (2026-12-05, '2026-12-05 14:30', ...+01:00), relative (-1h, -30m, -2d), "
HELP += "today, yesterday, now"


def parse_time(text: str, *, now: float, zone: tzinfo, option: str = "time") -> int:
    """Unix seconds (UTC) of ``text``, read at ``now`` in ``zone``; a ``ValidationError``
    naming ``option`` and the forms accepted when it is none of them."""
    spoken = text.strip().lower()
    local_now = datetime.fromtimestamp(now, zone)
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    if spoken == "now":
        return int(now)
    if spoken == "today":
        return int(midnight.timestamp())
    if spoken == "yesterday":
        return int(_local(midnight.replace(tzinfo=None) - timedelta(days=1), zone).timestamp())
    m = _RELATIVE.fullmatch(spoken)
    if m:
        return int(now - float(m[1]) * _UNIT_SECONDS[m[2]])
    try:
        when = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise ValidationError(option, text, f"is not a time; give {HELP}") from None
    if when.tzinfo is None:
        when = _local(when, zone)
    return int(when.astimezone(UTC).timestamp())


def _local(naive: datetime, zone: tzinfo) -> datetime:
    return naive.replace(tzinfo=zone)


def local_zone() -> tzinfo:
    """The node's time zone, daylight saving included: ``$TZ``, else /etc/localtime, else UTC.
    Lines that carry no zone (RFC 3164, fail2ban's) are in it."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ValueError, OSError):
            pass  # as the C library does with a zone it does not know: what the system has
    try:
        with open("/etc/localtime", "rb") as f:
            return ZoneInfo.from_file(f, key="localtime")
    except (OSError, ValueError):
        return UTC
