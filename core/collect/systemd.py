"""Services' runtime state from systemd: one ``systemctl show`` call for every unit.

``sync_services(store)`` reads the unit of each service (the ``service`` column) and writes its
state, status, main PID and start time through ``store.services``, in one transaction. Where
systemd does not run (no ``systemctl``, or no ``/run/systemd/system``: a container, a CI
machine), it changes nothing and says so once per process, at info level.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from ..store import Store

log = logging.getLogger("nodekeeper")

# Where systemd records that it is the init system (sd_booted() checks the same directory).
SYSTEMD_DIR = "/run/systemd/system"
PROPERTIES = (
    "Id",
    "Names",
    "LoadState",
    "ActiveState",
    "SubState",
    "MainPID",
    "ExecMainStartTimestamp",
    "ExecMainStartTimestampMonotonic",
    "ActiveEnterTimestamp",
)
TIMEOUT = 30.0  # seconds for the one systemctl call

# ActiveState -> ServiceState name; anything else is "unknown".
ACTIVE_STATES = {
    "active": "running",
    "reloading": "running",
    "refreshing": "running",  # systemd 256+
    "inactive": "stopped",
    "activating": "starting",
    "deactivating": "stopping",
    "failed": "failed",
    "maintenance": "stopped",  # systemd 250+: mounts being cleaned
}
UNKNOWN_LOAD_STATES = frozenset({"not-found", "error", "bad-setting"})

# Messages already logged by this process (the "no systemd" notice, a failing systemctl).
_notices: set[str] = set()


def _once(level: int, message: str) -> None:
    if message not in _notices:
        _notices.add(message)
        log.log(level, message)


# ---------------------------------------------------------------------------------------------
# parsing


def parse_show(text: str) -> list[dict[str, str]]:
    """The blocks of ``systemctl show`` output (one per unit, separated by blank lines), each as
    {property: value}; the value is everything after the first '=' (it may be empty)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, sep, value = line.partition("=")
        if sep:
            current[key.strip()] = value
    if current:
        blocks.append(current)
    return blocks


_TIMESTAMP = re.compile(
    r"(?:[A-Za-z]{3}\s+)?(\d{4}-\d{2}-\d{2}\s+\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)(?:\s+(\S+))?"
)


def parse_timestamp(value: str | None) -> datetime | None:
    """A systemd timestamp (``Mon 2026-11-23 08:00:01 UTC``, ``@1795420801``) as an aware
    datetime; None for empty, ``n/a``, 0 or what cannot be read."""
    if value is None:
        return None
    value = value.strip()
    if not value or value in ("n/a", "0"):
        return None
    if value.startswith("@"):
        try:
            return datetime.fromtimestamp(float(value[1:]), UTC)
        except (ValueError, OverflowError, OSError):
            return None
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        return None
    stamp, zone = match.groups()
    fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in stamp else "%Y-%m-%d %H:%M:%S"
    try:
        naive = datetime.strptime(" ".join(stamp.split()), fmt)
    except ValueError:
        return None
    tz = _zone(zone)
    if tz is None:
        return None
    if tz == "local":
        return naive.astimezone()  # the zone this process runs in
    return naive.replace(tzinfo=tz)


def _zone(name: str | None) -> Any:
    if name is None:
        return "local"
    if name in ("UTC", "GMT", "Z", "UCT"):
        return UTC
    offset = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", name)
    if offset:
        sign = -1 if offset[1] == "-" else 1
        return timezone(sign * timedelta(hours=int(offset[2]), minutes=int(offset[3])))
    if name in time.tzname:
        return "local"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def unit_state(block: Mapping[str, str] | None) -> dict[str, Any]:
    """What a ``systemctl show`` block says about a service: state, status (``ok`` or
    ``error``), main_pid and start_at (None: systemd does not say)."""
    if block is None or block.get("LoadState") in UNKNOWN_LOAD_STATES:
        return {"state": "unknown", "status": "ok", "main_pid": None, "start_at": None}
    active = block.get("ActiveState", "")
    try:
        pid = int(block.get("MainPID") or 0)
    except ValueError:
        pid = 0
    failed = active == "failed" or block.get("SubState") == "auto-restart"
    return {
        "state": ACTIVE_STATES.get(active, "unknown"),
        "status": "error" if failed else "ok",
        "main_pid": pid if pid > 0 else None,
        "start_at": parse_timestamp(block.get("ExecMainStartTimestamp"))
        or parse_timestamp(block.get("ActiveEnterTimestamp")),
    }


def _full_unit(name: str) -> str:
    # systemctl reads a name without a suffix as a .service unit.
    return name if "." in name else f"{name}.service"


def match_blocks(units: list[str], blocks: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """Each unit's block, found by its ``Id`` or one of its ``Names`` (aliases). A unit no block
    names takes the block at its position (``systemctl show`` prints one per unit, in argument
    order) if no other unit claimed that block."""
    by_name: dict[str, int] = {}
    for index, block in enumerate(blocks):
        for name in [block.get("Id", ""), *block.get("Names", "").split()]:
            if name:
                by_name.setdefault(name, index)
    found = {u: by_name[_full_unit(u)] for u in units if _full_unit(u) in by_name}
    if len(blocks) == len(units):
        claimed = set(found.values())
        for position, unit in enumerate(units):
            if unit not in found and position not in claimed:
                found[unit] = position
    return {unit: blocks[index] for unit, index in found.items()}


# ---------------------------------------------------------------------------------------------
# the live system


def systemd_running(
    systemctl: str = "systemctl", systemd_dir: str | os.PathLike[str] = SYSTEMD_DIR
) -> str | None:
    """The path of ``systemctl`` when systemd is the init system here, else None."""
    path = shutil.which(systemctl)
    if path is None or not Path(systemd_dir).is_dir():
        return None
    return path


def read_units(systemctl: str, units: list[str]) -> list[dict[str, str]]:
    """One ``systemctl show`` call for every unit; OSError or CalledProcessError on failure."""
    result = subprocess.run(
        [systemctl, "show", f"--property={','.join(PROPERTIES)}", "--", *units],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
        # Timestamps in UTC, messages untranslated: what parse_timestamp reads.
        env={**os.environ, "TZ": "UTC", "LC_ALL": "C", "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"},
    )
    return parse_show(result.stdout)


def sync_services(
    store: Store,
    *,
    systemctl: str = "systemctl",
    systemd_dir: str | os.PathLike[str] = SYSTEMD_DIR,
) -> int:
    """Write each service's state, status, main PID and start time as systemd reports them, in
    one transaction; the number of services that changed.

    A ``limit_exceeded`` status is never overwritten: traffic accounting sets it and clears it
    at a new period. A start time systemd does not report leaves ``start_at`` as it is.
    """
    path = systemd_running(systemctl, systemd_dir)
    if path is None:
        _once(
            logging.INFO,
            f"systemd is not running here (no {systemctl} or no {os.fspath(systemd_dir)}): "
            "service states are not collected",
        )
        return 0
    units = sorted({s.service for s in store.services.list() if s.service})
    if not units:
        return 0
    try:
        blocks = read_units(path, units)
    except (OSError, subprocess.SubprocessError) as exc:
        stderr = getattr(exc, "stderr", None)
        detail = stderr.strip() if isinstance(stderr, str) and stderr.strip() else str(exc)
        _once(logging.WARNING, f"systemctl show failed, service states not updated: {detail}")
        return 0
    seen = match_blocks(units, blocks)
    changed = 0
    with store.transaction():
        for info in store.services.list():  # re-read inside the transaction
            if not info.service or info.service not in units:
                continue  # added after systemctl ran: the next sync reads it
            now = unit_state(seen.get(info.service))
            changes: dict[str, Any] = {}
            if now["state"] != info.state:
                changes["state"] = now["state"]
            if info.status != "limit_exceeded" and now["status"] != info.status:
                changes["status"] = now["status"]
            if now["main_pid"] != info.main_pid:
                changes["main_pid"] = now["main_pid"]
            if now["start_at"] is not None and now["start_at"] != info.start_at:
                changes["start_at"] = now["start_at"]
            if changes:
                store.services.update(info.id, **changes)
                changed += 1
    return changed


__all__ = [
    "PROPERTIES",
    "SYSTEMD_DIR",
    "match_blocks",
    "parse_show",
    "parse_timestamp",
    "read_units",
    "sync_services",
    "systemd_running",
    "unit_state",
]
