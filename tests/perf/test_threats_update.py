"""Cost of ``store.threats.update()``, measured: ``pytest -m perf tests/perf/test_threats_update.py -s``.

A SQLite file holds 1,000,000 log events over 30 days (``$NODEKEEPER_BENCH_EVENTS`` overrides):
a third sshd failures and invalid users from 20,000 addresses (a few very noisy ones: the
heaviest has tens of thousands of events), UFW blocks, fail2ban, accepted logins, a failing
unit, I/O errors, the rest lines with no address. After a first update (timed, printed), 10,000
new events of the same mix arrive in the next minutes and ``update()`` runs again: target < 0.5 s
(it runs after every import batch and every collector cycle that stored events).
"""

from __future__ import annotations

import os
import random
import time

import pytest

from core import open_store
from core.store.logs import FilePosition

pytestmark = pytest.mark.perf

EVENTS = int(os.environ.get("NODEKEEPER_BENCH_EVENTS", 1_000_000))
NEW = 10_000
START = 1_764_547_200  # 2025-12-01 UTC
SPAN = 30 * 86400
USERS = ("root", "admin", "ubuntu", "test", "oracle", "postgres", "git", "pi", "j.doe", "svc-x")


def _ip(rng: random.Random) -> str:
    n = min(int(rng.paretovariate(0.8)), 20_000)  # a few addresses send most attempts
    if n % 7 == 0:
        return f"2001:db8:{n % 97:x}::{n:x}"
    return f"198.{18 + n // 65536 % 2}.{n // 256 % 256}.{n % 256}"


def _events(rng: random.Random, count: int, start: int, span: int) -> list[tuple]:
    out = []
    for i in range(count):
        ts = start + i * span // count
        roll = rng.random()
        ip = user = action = meta = None
        level = "info"
        if roll < 0.30:
            ip, user, action, level = _ip(rng), rng.choice(USERS), "login_failed", "warning"
        elif roll < 0.36:
            ip, user, action, level = _ip(rng), rng.choice(USERS), "invalid_user", "warning"
        elif roll < 0.45:
            ip, action, meta = _ip(rng), "firewall_block", '{"proto":"TCP","dpt":23}'
        elif roll < 0.46:
            ip, action, meta = _ip(rng), rng.choice(("found", "ban", "unban")), '{"jail":"sshd"}'
        elif roll < 0.47:
            ip, user, action = f"10.20.0.{rng.randint(1, 50)}", "alice", "login_accepted"
        elif roll < 0.471:
            action, level, meta = "unit_failed", "error", '{"unit":"ota.service"}'
        elif roll < 0.472:
            action, level, meta = "io_error", "error", '{"device":"sda"}'
        out.append((ts, "auth.log", level, "sshd", 100, "edge", "a line", ip, user, action,
                    meta, ts))  # fmt: skip
    return out


def test_an_update_after_10000_new_events_over_a_million_stored(tmp_path):
    rng = random.Random(20261205)
    with open_store(tmp_path / "events.db") as store:
        at = FilePosition("/var/log/auth.log", 1, 1, 0, "")
        step = 100_000
        for first in range(0, EVENTS, step):
            n = min(step, EVENTS - first)
            store.logs.store_batch(
                _events(rng, n, START + first * SPAN // EVENTS, n * SPAN // EVENTS), at
            )
        started = time.perf_counter()
        done = store.threats.update()
        initial = time.perf_counter() - started
        print(f"\nfirst update over {EVENTS:,} events: {initial:.2f} s ({done})")

        store.logs.store_batch(_events(rng, NEW, START + SPAN, 600), at)
        started = time.perf_counter()
        done = store.threats.update()
        seconds = time.perf_counter() - started
        print(f"update after {NEW:,} new events: {seconds * 1000:.0f} ms ({done})")
        heaviest = store.threats.threats(limit=1)[0]
        print(
            f"the heaviest IP has {heaviest.failed_logins + heaviest.invalid_users + heaviest.firewall_blocks:,} events"
        )
        assert seconds < 0.5
