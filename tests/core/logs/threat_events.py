"""Log events for the tests of what is derived from them (threats, patterns, rollups): rows as
``store.logs.store_batch`` takes them, in the log parser's vocabulary."""

from __future__ import annotations

import json
import random

from core.store.logs import EVENT_FIELDS, FilePosition

T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC
AT = FilePosition("/var/log/auth.log", 1, 1, 0, "")
LEVELS = ("emergency", "alert", "critical", "error", "warning", "notice", "info", "debug")
ACTIONS = (
    "login_failed", "invalid_user", "login_accepted", "auth_failure", "sudo", "ban", "unban",
    "ban_restored", "already_banned", "found", "firewall_block", "oom_kill", "unit_failed",
    "io_error", None,
)  # fmt: skip
IPS = (
    "203.0.113.9", "203.0.113.77", "198.51.100.4", "192.0.2.200", "10.1.2.3", "127.0.0.1",
    "2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::1", "fe80::1", "fd00::5", None,
)  # fmt: skip
USERS = ("root", "admin", "j.doe", "svc-backup", "user@example", "ubuntu", None)


def event(ts: int, action: str | None = None, ip: str | None = None, user: str | None = None,
          level: str = "info", **meta) -> tuple:  # fmt: skip
    row = {
        "timestamp": ts, "source": "auth.log", "level": level, "program": "sshd", "pid": 7,
        "host": "edge", "message": f"{action} {ip} {user}", "ip_address": ip, "user": user,
        "action": action, "metadata": json.dumps(meta) if meta else None, "ingested": ts,
    }  # fmt: skip
    return tuple(row[f] for f in EVENT_FIELDS)


def store_events(store, events) -> None:
    store.logs.store_batch(list(events), AT)


def random_events(seed: int, count: int, start: int = T0, span: int = 3 * 86400) -> list[tuple]:
    """A mix of every action, level, IP (IPv4, IPv6, private) and user, in no time order."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        action = rng.choice(ACTIONS)
        meta = {}
        if action == "unit_failed":
            meta["unit"] = rng.choice(("a.service", "b.service"))
        if action == "io_error":
            meta["device"] = rng.choice(("sda", "nvme0n1"))
        out.append(
            event(
                start + rng.randrange(span),
                action,
                rng.choice(IPS),
                rng.choice(USERS),
                rng.choice(LEVELS),
                **meta,
            )  # fmt: skip
        )
    return out
