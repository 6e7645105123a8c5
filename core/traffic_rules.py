"""Traffic accounting per chain, as vnstat does it: pure rules, no I/O. The store counts
readings with them (core.store.traffic) and the collectors make the readings (core.collect):
both import them from here.

A *chain* is one counter of bytes: ``<iface>:in`` / ``<iface>:out`` for a network interface
(received / sent), ``service:<service_id>:in`` / ``service:<service_id>:out`` for a service
(downlink / uplink, see ``core.collect.iptables``). Each chain keeps the last raw counter and the
boot it belongs to (``/proc/stat`` btime), so the next reading is counted exactly once, across
collector restarts, counter wraps, counter resets and reboots.

How a reading (``raw`` at ``time``, booted at ``boot_time``) is counted against the chain's state
(``last_raw`` at ``time``, booted at ``boot_time``). ``max_bytes`` is what the maximum rate allows
over the elapsed time: ``max_rate_bits / 8 * max(elapsed seconds, 1)``.

=========  ==========================================================  ==================
rule       when                                                        bytes counted
=========  ==========================================================  ==================
baseline   no state yet (or a state without a raw counter, boot or     0; the reading is
           time, such as a row written before counters were kept)      the new baseline
reboot     the boot time moved by more than ``BOOT_VARIATION`` (15 s)  ``raw``
count      same boot, ``raw >= last_raw``                              ``raw - last_raw``
wrap32     same boot, ``raw < last_raw < 2**32`` and                   ``2**32 - last_raw
           ``2**32 - last_raw + raw <= max_bytes``                     + raw``
wrap64     same boot, ``raw < last_raw``, not a wrap32, and            ``2**64 - last_raw
           ``2**64 - last_raw + raw <= max_bytes``                     + raw``
reset      same boot, ``raw < last_raw``, and no wrap is plausible     ``raw``
discarded  reboot, count or reset would count more than ``max_bytes``  0; baseline resynced
=========  ==========================================================  ==================

Whatever the rule, the reading becomes the new baseline (``last_raw``, ``boot_time``, ``time``).

Boot time jitter: the kernel derives btime from the clock minus the uptime, so it can move by a
second or so when NTP adjusts the clock; like vnstat's ``BootVariation``, a change of at most
``BOOT_VARIATION`` seconds is not a reboot.

Periods are UTC hours, days or months (``period_start``). The bytes of a reading count in the
period of the reading's time, even when part of them flowed before the boundary (the collector
reads every few seconds, so little is misplaced). When a reading falls in a later period than the
chain's, the chain's period is finished (its total becomes history) and the value restarts from
zero. A reading whose time is earlier than the chain's period (the clock went back) counts in the
chain's current period; nothing is lost. A state without a period start (a row kept before
periods were) is in the period of its ``time``.

Ambiguity that no rule can lift: a counter that went down from below 2**32 may be a 32-bit wrap or
a reset of a 64-bit counter; it is taken as a wrap when the wrap is possible at the maximum rate.
A counter reset that climbs back above the last value before the next reading looks like plain
growth and is counted as ``raw - last_raw``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .errors import ValidationError
from .settings import TRAFFIC_PERIODS

WRAP32 = 1 << 32
WRAP64 = 1 << 64
BOOT_VARIATION = 15  # seconds a boot time may move without being a reboot (vnstat's default)

RULES = ("baseline", "reboot", "count", "wrap32", "wrap64", "reset", "discarded")


@dataclass(frozen=True)
class ChainState:
    """What is kept per chain: the last raw counter, its boot and time, the period's value."""

    last_raw: int | None
    boot_time: int | None
    value: int
    period_start: datetime | None
    time: datetime | None


@dataclass(frozen=True)
class Reading:
    """A raw cumulative byte counter of ``chain``, read at ``time`` (timezone-aware) during the
    boot that started at ``boot_time`` (unix seconds, ``/proc/stat`` btime)."""

    chain: str
    raw: int
    boot_time: int
    time: datetime


@dataclass(frozen=True)
class Finished:
    """A finished period of a chain and its total."""

    chain: str
    period: str
    period_start: datetime
    total: int


def period_start(t: datetime, period: str) -> datetime:
    """The start (UTC) of the hour, day or month that ``t`` falls in."""
    if t.tzinfo is None:
        raise ValidationError("time", t, "must be timezone-aware")
    t = t.astimezone(UTC)
    if period == "hour":
        return t.replace(minute=0, second=0, microsecond=0)
    if period == "day":
        return t.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        return t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    raise ValidationError("traffic.period", period, f"must be one of: {', '.join(TRAFFIC_PERIODS)}")


def next_period_start(t: datetime, period: str) -> datetime:
    """The start (UTC) of the period after the one ``t`` falls in."""
    start = period_start(t, period)
    if period == "hour":
        return start + timedelta(hours=1)
    if period == "day":
        return start + timedelta(days=1)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def max_bytes(max_rate_bits: int, elapsed: timedelta) -> int:
    """The most bytes a counter can plausibly grow by over ``elapsed`` (at least one second)."""
    micros = max(elapsed // timedelta(microseconds=1), 1_000_000)
    return max_rate_bits * micros // 8_000_000


def classify(
    state: ChainState | None,
    reading: Reading,
    *,
    max_rate_bits: int,
    boot_variation: int = BOOT_VARIATION,
) -> tuple[str, int]:
    """Which rule of the module's table applies to ``reading``, and the bytes it counts."""
    if state is None or state.last_raw is None or state.boot_time is None or state.time is None:
        return "baseline", 0
    limit = max_bytes(max_rate_bits, reading.time - state.time)
    last, raw = state.last_raw, reading.raw
    if abs(reading.boot_time - state.boot_time) > boot_variation:
        rule, delta = "reboot", raw
    elif raw >= last:
        rule, delta = "count", raw - last
    elif last < WRAP32 and WRAP32 - last + raw <= limit:
        return "wrap32", WRAP32 - last + raw
    elif WRAP64 - last + raw <= limit:
        return "wrap64", WRAP64 - last + raw
    else:
        rule, delta = "reset", raw
    if delta > limit:
        return "discarded", 0
    return rule, delta


def account_rule(
    state: ChainState | None,
    reading: Reading,
    *,
    period: str,
    max_rate_bits: int,
    boot_variation: int = BOOT_VARIATION,
) -> tuple[ChainState, int, Finished | None, str]:
    """``account`` that also says which rule applied."""
    rule, delta = classify(
        state, reading, max_rate_bits=max_rate_bits, boot_variation=boot_variation
    )
    start = period_start(reading.time, period)
    finished = None
    value = 0 if state is None else state.value
    current = None if state is None else state.period_start
    if current is None and state is not None and state.time is not None:
        current = period_start(state.time, period)  # a row kept without its period
    if current is None:
        current = start
    elif start > current:
        finished = Finished(reading.chain, period, current, value)
        value, current = 0, start
    new = ChainState(
        last_raw=reading.raw,
        boot_time=reading.boot_time,
        value=value + delta,
        period_start=current,
        time=reading.time,
    )
    return new, delta, finished, rule


def account(
    state: ChainState | None,
    reading: Reading,
    *,
    period: str,
    max_rate_bits: int,
    boot_variation: int = BOOT_VARIATION,
) -> tuple[ChainState, int, Finished | None]:
    """Count ``reading`` against ``state``: the new state, the bytes counted, and the chain's
    finished period when the reading fell in a new one (see the module's rules table)."""
    new, delta, finished, _ = account_rule(
        state, reading, period=period, max_rate_bits=max_rate_bits, boot_variation=boot_variation
    )
    return new, delta, finished


# -- chain names ----------------------------------------------------------------------------


def service_chain(service_id: str, direction: str) -> str:
    """``service:<id>:in`` (downlink, limited by dl_limit) or ``service:<id>:out`` (uplink,
    limited by ul_limit)."""
    if direction not in ("in", "out"):
        raise ValidationError("direction", direction, "must be 'in' or 'out'")
    return f"service:{service_id}:{direction}"


def parse_service_chain(chain: str) -> tuple[str, str] | None:
    """``(service_id, "in"|"out")`` of a service chain, None for any other chain."""
    if not chain.startswith("service:"):
        return None
    rest, _, direction = chain[len("service:") :].rpartition(":")
    if not rest or direction not in ("in", "out"):
        return None
    return rest, direction
