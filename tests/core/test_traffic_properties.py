"""Property tests of traffic accounting: random readings against a model that sums true traffic.

Each scenario drives a few chains (64-bit counters and one 32-bit counter) through random steps:
traffic of random sizes (up to exactly the maximum rate), 32- and 64-bit wraps, counter resets,
reboots, boot time jitter, bogus jumps, rollovers, time steps across period boundaries, and
collector restarts (the store closed and opened again on the same SQLite file). The model knows
how many bytes really flowed and sums them per period by the reading's time; the stored values
and history must equal it exactly.

What no counter-based accounting can see is kept out of the scenarios, as the rules document:
a reset whose new value is not below the last one (it looks like growth), and a reset from near
2**32 or 2**64 that the maximum rate cannot tell from a wrap.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core import open_store
from core.traffic_rules import ChainState, Reading, account

WRAP32, WRAP64 = 1 << 32, 1 << 64
RATES = (10_000_000_000, 100_000_000, 8_000)  # bits/s: the default, 100 Mbit/s, 1 kB/s
# Counter width and the kinds of first values each chain may start at.
CHAINS = {"eth0:in": 64, "eth0:out": 64, "ppp0:in": 32, "service:web:out": 64}


def true_period_start(t: datetime, period: str) -> datetime:
    """The model's own period arithmetic (independent of the code under test)."""
    t = t.astimezone(UTC)
    if period == "hour":
        return datetime(t.year, t.month, t.day, t.hour, tzinfo=UTC)
    if period == "day":
        return datetime(t.year, t.month, t.day, tzinfo=UTC)
    return datetime(t.year, t.month, 1, tzinfo=UTC)


def rate_limit(rate: int, elapsed: timedelta) -> int:
    """Bytes allowed at ``rate`` bits/s over ``elapsed`` (whole seconds here, at least one)."""
    return rate * max(int(elapsed.total_seconds()), 1) // 8


# -- scenarios --------------------------------------------------------------------------------

time_steps = st.one_of(
    st.integers(0, 5),  # readings a few seconds apart (0: same instant, taken as one second)
    st.integers(6, 3600),
    st.integers(3600, 3 * 86400),  # across hours and days
    st.integers(3 * 86400, 70 * 86400),  # across months
)
fractions = st.one_of(st.just(0), st.just(10**6), st.integers(0, 10**6))  # of the max allowed
chain_events = st.tuples(
    st.sampled_from(["grow", "grow", "grow", "reset", "bogus", "skip"]),
    fractions,
)
first_values = st.one_of(
    st.integers(0, 10**6),
    st.integers(0, WRAP64 - 1),
    st.integers(WRAP32 - 10**10, WRAP32 - 1),
    st.integers(WRAP64 - 10**12, WRAP64 - 1),
)
steps = st.tuples(
    time_steps,
    st.sampled_from(["read", "read", "read", "reboot", "restart", "rollover", "jitter"]),
    st.integers(-7, 7),  # btime jitter seen in this step
    st.lists(chain_events, min_size=len(CHAINS), max_size=len(CHAINS)),
)


@st.composite
def scenarios(draw):
    return {
        "period": draw(st.sampled_from(["hour", "day", "month"])),
        "rate": draw(st.sampled_from(RATES)),
        "start": datetime(2023, 1, 1, tzinfo=UTC)
        + timedelta(seconds=draw(st.integers(0, 2 * 365 * 86400))),
        "first": {c: draw(first_values) % (1 << w) for c, w in CHAINS.items()},
        "steps": draw(st.lists(steps, min_size=1, max_size=25)),
    }


# -- the model --------------------------------------------------------------------------------


@dataclass
class ModelChain:
    width: int
    counter: int  # the device's raw counter
    read: bool = False  # has the collector seen it (baseline taken)?
    last_raw: int = 0  # what the collector saw last
    last_boot: int = 0  # and the boot time it saw with it
    last_time: datetime | None = None
    period: datetime | None = None
    value: int = 0


@dataclass
class Model:
    period: str
    chains: dict[str, ModelChain]
    history: dict[tuple[str, datetime], int] = field(default_factory=dict)

    def close(self, chain: str, start: datetime) -> None:
        c = self.chains[chain]
        if c.period is not None and start > c.period:
            self.history[(chain, c.period)] = self.history.get((chain, c.period), 0) + c.value
            c.value, c.period = 0, start

    def count(self, chain: str, t: datetime, boot: int, true_bytes: int) -> None:
        c = self.chains[chain]
        start = true_period_start(t, self.period)
        if c.period is None:
            c.period = start
        self.close(chain, start)
        c.value += true_bytes
        c.read, c.last_raw, c.last_boot, c.last_time = True, c.counter, boot, t


def run(scenario, backend) -> Model:
    """Drive ``backend`` through the scenario and the model alongside; return the model."""
    rate, period = scenario["rate"], scenario["period"]
    model = Model(period, {c: ModelChain(w, scenario["first"][c]) for c, w in CHAINS.items()})
    now = scenario["start"]
    boot = int(now.timestamp()) - 3600
    for dt, action, jitter, events in scenario["steps"]:
        now += timedelta(seconds=dt)
        seen_boot = boot + jitter if action == "jitter" else boot
        if action == "reboot":
            boot = max(boot + 30, int(now.timestamp()) - 1)  # beyond 15 s of jitter
            seen_boot = boot
            for c in model.chains.values():
                c.counter = 0
        if action == "restart":
            backend.restart()
        if action == "rollover":
            backend.rollover(now)
            for name in model.chains:
                if model.chains[name].period is not None:
                    model.close(name, true_period_start(now, period))
            continue
        readings = []
        for (name, c), (kind, fraction) in zip(model.chains.items(), events, strict=True):
            if kind == "skip":
                continue
            size = 1 << c.width
            if not c.read:
                readings.append(Reading(name, c.counter, seen_boot, now))
                model.count(name, now, seen_boot, 0)  # the baseline counts nothing
                continue
            limit = rate_limit(rate, now - c.last_time)
            # A full lap of a 32-bit counter between two readings is invisible.
            allowed = min(limit, size - 1)
            grown = allowed * fraction // 10**6
            if kind == "bogus" and c.counter + limit + 1 + grown < size and action != "reboot":
                # Faster than the maximum rate: discarded, the counter is the new baseline.
                c.counter += limit + 1 + grown
                readings.append(Reading(name, c.counter, seen_boot, now))
                model.count(name, now, seen_boot, 0)
                continue
            if kind == "reset" and action != "reboot" and _unambiguous_reset(c, grown, limit):
                c.counter = grown
            else:
                c.counter = (c.counter + grown) % size
            readings.append(Reading(name, c.counter, seen_boot, now))
            model.count(name, now, seen_boot, grown)
        backend.record(readings)
    return model


def _unambiguous_reset(c: ModelChain, new: int, limit: int) -> bool:
    last = c.last_raw
    if new >= last:
        return False  # looks like growth
    if last < WRAP32 and WRAP32 - last + new <= limit:
        return False  # could be a 32-bit wrap
    return not WRAP64 - last + new <= limit  # could be a 64-bit wrap


# -- backends ---------------------------------------------------------------------------------


class PureBackend:
    """``account()`` alone, states in a dict."""

    def __init__(self, period: str, rate: int):
        self.period, self.rate = period, rate
        self.states: dict[str, ChainState] = {}
        self.history: dict[tuple[str, datetime], int] = {}

    def record(self, readings):
        for r in readings:
            new, _, done = account(
                self.states.get(r.chain), r, period=self.period, max_rate_bits=self.rate
            )
            self.states[r.chain] = new
            if done is not None:
                key = (done.chain, done.period_start)
                self.history[key] = self.history.get(key, 0) + done.total

    def rollover(self, now):
        start = true_period_start(now, self.period)
        for chain, s in self.states.items():
            if s.period_start < start:
                key = (chain, s.period_start)
                self.history[key] = self.history.get(key, 0) + s.value
                self.states[chain] = ChainState(s.last_raw, s.boot_time, 0, start, s.time)

    def restart(self):
        pass

    def values(self):
        return self.states

    def totals(self):
        return self.history


class StoreBackend:
    """The repository on a SQLite file; a restart closes the store and opens it again."""

    def __init__(self, path: Path, period: str, rate: int):
        self.path = path
        self.store = open_store(path)
        self.store.config.set("traffic.period", period)
        self.store.config.set("traffic.max_rate", rate)

    def record(self, readings):
        self.store.traffic.record(readings)

    def rollover(self, now):
        self.store.traffic.rollover(now)

    def restart(self):
        self.store.close()
        self.store = open_store(self.path)

    def values(self):
        return {chain: self.store.traffic.state(chain) for chain in self.store.traffic.names()}

    def totals(self):
        return {(h.chain, h.period_start): h.value for h in self.store.traffic.history()}

    def close(self):
        self.store.close()


def expected(model: Model):
    """Each chain's state (value in its period, and the last reading it must count the next
    one from) and the finished periods' totals."""
    values = {
        n: ChainState(c.last_raw, c.last_boot, c.value, c.period, c.last_time)
        for n, c in model.chains.items()
        if c.read
    }
    return values, model.history


# -- the properties ---------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_account_sums_exactly_the_true_traffic_per_period(scenario):
    backend = PureBackend(scenario["period"], scenario["rate"])
    model = run(scenario, backend)
    values, history = expected(model)
    assert backend.values() == values
    assert backend.totals() == history


@settings(max_examples=40, deadline=None)
@given(scenarios())
def test_the_store_loses_and_double_counts_nothing_across_restarts(scenario):
    with tempfile.TemporaryDirectory() as tmp:
        backend = StoreBackend(Path(tmp) / "nodekeeper.db", scenario["period"], scenario["rate"])
        try:
            model = run(scenario, backend)
            backend.restart()
            values, history = expected(model)
            assert backend.values() == values
            assert backend.totals() == history
        finally:
            backend.close()


@settings(max_examples=100, deadline=None)
@given(
    last=st.integers(0, WRAP64 - 1),
    elapsed=st.integers(0, 86400),
    rate=st.sampled_from(RATES),
    excess=st.integers(1, 10**15),
    grown=st.integers(0, 10**6),
)
def test_a_bogus_jump_is_discarded_and_the_next_reading_counts_normally(
    last, elapsed, rate, excess, grown
):
    t0 = datetime(2024, 5, 5, 10, tzinfo=UTC)
    t1, t2 = t0 + timedelta(seconds=elapsed), t0 + timedelta(seconds=elapsed + 3600)
    bogus = last + rate_limit(rate, t1 - t0) + excess
    assume(bogus < WRAP64)  # room above the last value for a jump this big
    state, counted, _ = account(
        None, Reading("eth0:in", last, 1, t0), period="month", max_rate_bits=rate
    )
    state, counted, _ = account(
        state, Reading("eth0:in", bogus, 1, t1), period="month", max_rate_bits=rate
    )
    assert counted == 0 and state.last_raw == bogus
    grown = min(grown, rate_limit(rate, t2 - t1), WRAP64 - 1 - bogus)
    state, counted, _ = account(
        state, Reading("eth0:in", bogus + grown, 1, t2), period="month", max_rate_bits=rate
    )
    assert counted == grown
    assert state.value == grown
