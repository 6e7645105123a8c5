"""Demo data: deterministic for a seed and a clock, realistic enough to browse, all or nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, func, select, text

from core import StoreError, ValidationError, open_store
from core.cli import main
from core.demo import StoreNotEmpty, fill
from core.documents import export
from core.models.services import TrafficHistory
from core.models.telemetry import LogEvent
from core.store.telemetry import NETWORK, SYSTEM

NOW = datetime(2026, 3, 4, 15, 37, 12, tzinfo=UTC)
END = int(NOW.timestamp()) // 60 * 60  # NOW's minute: the last sample
SMALL = {"containers": 14, "days": 1, "now": NOW}
BRIDGES = ("lxdbr0", "br0", "br-dmz", "br-storage")


def rows(store, table) -> int:
    with store.reading() as conn:
        return conn.scalar(select(func.count()).select_from(table)) or 0


def snapshot(store) -> dict:
    """What a screenshot or a snapshot test would show, as plain data."""
    return {
        "exports": [
            export(store, kind, name)
            for kind, name in (("container", "web-01"), ("container", "ci-runner-01"),
                               ("profile", "default"), ("image", "ubuntu/24.04"),
                               ("service", "media-sync"), ("certificate", "admin-laptop"),
                               ("config", None))
        ],  # fmt: skip
        "containers": store.containers.list(),
        "users": store.users.entries(),
        "chains": store.traffic.chains(),
        "history": store.traffic.history(),
        "hourly": [{k: v for k, v in h.items() if k != "id"} for h in store.telemetry.hourly()],
        "system": [{k: v for k, v in s.items() if k != "id"} for s in store.telemetry.system_samples(0)],
    }  # fmt: skip


@pytest.fixture(
    scope="module",
    params=["sqlite-file", "memory", pytest.param("postgresql", marks=pytest.mark.postgresql)],
)
def demo(request, tmp_path_factory):
    """A small demo on each backend, filled once: the tests using it only read."""
    if request.param == "postgresql":
        server = request.getfixturevalue("pg_server")
        schema = f"nk_demo_{uuid.uuid4().hex[:12]}"
        admin = create_engine(server)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{server}{'&' if '?' in server else '?'}options={quote(f'-csearch_path={schema}')}"
    else:
        url = (
            str(tmp_path_factory.mktemp("demo") / "nk.db")
            if request.param == "sqlite-file"
            else ":memory:"
        )
    store = open_store(url)
    try:
        yield store, fill(store, containers=24, days=2, seed=3, now=NOW)
    finally:
        store.close()
        if request.param == "postgresql":
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def test_same_seed_and_clock_give_the_same_data_on_every_backend(demo):
    store, summary = demo
    with open_store(":memory:") as reference:
        again = fill(reference, containers=24, days=2, seed=3, now=NOW)
        assert again == summary
        assert snapshot(store) == snapshot(reference)


def test_another_seed_gives_other_data():
    with open_store(":memory:") as one, open_store(":memory:") as two:
        fill(one, seed=1, **SMALL)
        fill(two, seed=2, **SMALL)
        assert one.containers.names() != two.containers.names() or (
            one.containers.list() != two.containers.list()
        )
        assert one.telemetry.system_samples(0) != two.telemetry.system_samples(0)


def test_containers_spread_over_bridges_profiles_and_images(demo):
    store, summary = demo
    assert summary.containers == 24 == len(store.containers.names())
    for bridge in BRIDGES:
        assert store.containers.using_network(bridge), bridge
    # A CI runner's own eth0 on br0 replaces the default profile's eth0 on lxdbr0.
    assert "ci-runner-01" in store.containers.using_network("br0")
    assert "ci-runner-01" not in store.containers.using_network("lxdbr0")
    view = store.containers.expanded("ci-runner-01")
    assert view.device_origin["eth0"] == "local"
    assert view.device_origin["root"] == "profile:default"
    assert view.config["security.nesting"] == "true"
    proxy = store.containers.expanded("proxy-01")
    assert proxy.devices["eth1"]["parent"] == "br-dmz"
    assert proxy.device_origin["eth1"] == "profile:dmz"
    assert len(store.profiles.names()) == 6
    assert all(p.description for p in store.profiles.list())
    images = store.images.list()
    assert len(images) == 6 and all(i.aliases for i in images)
    assert all({"os", "release", "architecture"} <= set(i.properties) for i in images)
    fingerprints = {i.fingerprint for i in images}
    containers = store.containers.list()
    assert {c.image for c in containers} <= fingerprints
    assert store.containers.using_image("ubuntu/24.04")
    assert {c.power_state for c in containers} == {"running", "stopped"}
    assert all(1 <= len(c.profiles) <= 3 for c in containers)
    assert any("limits.cpu" in c.config for c in containers)


def test_services_have_claim_sets_limits_and_one_is_over_its_limit(demo):
    store, summary = demo
    assert summary.limit_exceeded == ("media-sync",)
    services = {s.id: s for s in store.services.list()}
    assert len(services) == 6
    assert services["media-sync"].status == "limit_exceeded"
    assert services["ota-updater"].state == "failed"
    assert all(s.service and s.ttl for s in services.values())
    assert store.traffic.get("service:media-sync:in").value > services["media-sync"].dl_limit
    assert store.users.services_of(["user1", "subject2"]) == [
        "mqtt-broker", "nginx", "telemetry-agent"
    ]  # fmt: skip
    assert len(store.users.entries()) == summary.bindings == 9
    assert [s.id for s in store.services.expired(now=NOW)] == ["ota-updater"]
    with store.reading() as conn:
        warnings = conn.scalar(
            select(func.count()).where(LogEvent.__table__.c.action == "traffic_limit")
        )
    assert warnings >= 1


def test_history_is_on_the_minute_grid_up_to_now_with_traffic_and_rollups(demo):
    store, summary = demo
    samples = store.telemetry.system_samples(0)
    assert summary.system_samples == len(samples) == 2 * 1440
    assert samples[-1]["timestamp"] == END
    assert {s["timestamp"] % 60 for s in samples} == {0}
    assert all(0 < s["cpu_percent"] <= 100 for s in samples)
    assert {n["interface"] for n in store.telemetry.network_samples(0, None)} == {
        "", "eth0", "lxdbr0"
    }  # fmt: skip
    total = store.telemetry.network_samples(END, "")[0]
    assert total["connections_established"] > 0 and total["connections_listen"] > 0
    hourly = store.telemetry.hourly()
    full = [h for h in hourly if h["sample_count"] == 60]
    assert len(full) >= 47 and summary.hourly_aggregates == len(hourly)
    assert sum(h["failed_login_count"] for h in hourly) > 0
    assert sum(h["total_bytes_sent"] for h in hourly) > 0
    assert store.telemetry.daily()
    chains = {c.chain for c in store.traffic.chains()}
    assert {"eth0:in", "eth0:out", "lxdbr0:in", "service:nginx:out"} <= chains
    assert len(chains) == summary.traffic_chains == 16
    assert store.traffic.history("eth0:in")  # finished days
    assert summary.traffic_periods == rows(store, TrafficHistory.__table__)


def test_no_time_comes_from_the_wall_clock_when_now_is_given():
    past = datetime(2001, 5, 6, 7, 8, 9, tzinfo=UTC)
    with open_store(":memory:") as store:
        fill(store, containers=12, days=1, now=past)
        times = [i.upload_date for i in store.images.list()]
        times += [s.start_at for s in store.services.list()]
        times += [c.time for c in store.traffic.chains()]
        assert all(t is not None and t <= past for t in times)
        with store.reading() as conn:
            newest = [conn.scalar(select(func.max(t.c.timestamp))) for t in (SYSTEM, NETWORK)]
            newest.append(conn.scalar(select(func.max(LogEvent.__table__.c.timestamp))))
        assert max(newest) <= past.timestamp()


def test_a_store_that_is_not_empty_is_refused_and_left_alone(tmp_path):
    with open_store(tmp_path / "nk.db") as store:
        store.containers.create("web1")
        with pytest.raises(StoreNotEmpty, match=r"1 container \(web1\).*--force") as err:
            fill(store, **SMALL)
        assert err.value.found == {"containers": ["web1"]}
        assert store.profiles.names() == [] and rows(store, SYSTEM) == 0

        summary = fill(store, force=True, **SMALL)
        assert "web1" in store.containers.names() and summary.replaced == 0


def test_filling_again_with_force_doubles_nothing():
    with open_store(":memory:") as store:
        first = fill(store, **SMALL)
        counts = [rows(store, t) for t in (SYSTEM, NETWORK, LogEvent.__table__)]
        periods = store.traffic.history()
        second = fill(store, force=True, **SMALL)
        assert [rows(store, t) for t in (SYSTEM, NETWORK, LogEvent.__table__)] == counts
        assert store.traffic.history() == periods
        assert second.system_samples == second.log_events == 0
        assert second.replaced >= first.containers
        assert second.limit_exceeded == ("media-sync",)  # the status stays traffic's


def test_a_failure_half_way_writes_nothing(monkeypatch):
    with open_store(":memory:") as store:

        def broken(*args, **kwargs):
            raise StoreError("disk full")

        monkeypatch.setattr(store.traffic, "record", broken)
        with pytest.raises(StoreError, match="disk full"):
            fill(store, **SMALL)
        assert store.containers.names() == [] and store.services.ids() == []
        assert rows(store, SYSTEM) == 0


def test_no_days_writes_the_resources_only():
    with open_store(":memory:") as store:
        summary = fill(store, containers=3, days=0, now=NOW)
        assert store.containers.names() == ["api-01", "db-01", "web-01"]
        assert rows(store, SYSTEM) == 0 and store.traffic.chains() == []
        assert "no history" in summary.describe()


@pytest.mark.parametrize(
    "args",
    [
        {"containers": -1},
        {"days": 400},
        {"days": 1.5},
        {"seed": "x"},
        {"now": datetime(2026, 1, 1)},
    ],  # fmt: skip
)
def test_bad_arguments_are_refused_by_name(args):
    with open_store(":memory:") as store, pytest.raises(ValidationError) as err:
        fill(store, **args)
    assert err.value.field == next(iter(args))


def test_cli_fills_refuses_a_second_time_and_forces(tmp_path, capsys):
    db = str(tmp_path / "demo.db")
    assert main(["demo", "--db", db, "--containers", "12", "--days", "1", "--seed", "5"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("created 12 containers, 6 profiles, 6 images")
    assert "1,440 system samples" in out and "over a limit: media-sync" in out

    assert main(["demo", "--db", db]) == 1
    _, err = capsys.readouterr()
    assert err.startswith("error: the store") and "12 containers" in err and "--force" in err

    assert main(["demo", "--db", db, "--containers", "12", "--days", "1", "--force"]) == 0
    assert "replaced" in capsys.readouterr().out
    assert main(["demo", "--db", db, "--days", "-1", "--force"]) == 1
    assert "error: days: -1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--db", db, "--containers", "many"])
    assert exit_.value.code == 2


def test_log_events_speak_the_parsers_vocabulary(demo):
    """The demo's events are what reading such lines gives: actions the parser knows, each at
    the level the parser gives it, so the Logs and Threats sections show what a real node
    would."""
    from core.log_words import ACTION_LEVELS, LEVELS

    store, _ = demo
    events = store.logs.events(limit=100_000)
    assert events and {e.level for e in events} <= set(LEVELS)
    acted = [e for e in events if e.action is not None]
    assert {e.action for e in acted} >= {"login_failed", "invalid_user", "ban", "firewall_block"}
    assert all(e.level == ACTION_LEVELS[e.action] for e in acted), {
        (e.action, e.level) for e in acted if e.level != ACTION_LEVELS.get(e.action)
    }
