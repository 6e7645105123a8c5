"""Services' state from systemd: parsing real ``systemctl show`` output, and syncing the store
through a real executable standing in for systemctl (this machine may not run systemd)."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from core.collect import systemd
from core.collect.systemd import (
    match_blocks,
    parse_show,
    parse_timestamp,
    sync_services,
    unit_state,
)

# `systemctl show --property=Id,Names,LoadState,ActiveState,SubState,MainPID,
#  ExecMainStartTimestamp,ExecMainStartTimestampMonotonic,ActiveEnterTimestamp -- UNITS`
# as systemd 252 prints it: one block per unit in argument order, the Service interface's
# properties first, empty timestamps as empty values or n/a.
SHOW = """\
MainPID=812
ExecMainStartTimestamp=Mon 2026-11-23 08:00:01 UTC
ExecMainStartTimestampMonotonic=5034123
Id=aos_web.service
Names=aos_web.service
LoadState=loaded
ActiveState=active
SubState=running
ActiveEnterTimestamp=Mon 2026-11-23 08:00:02 UTC

MainPID=0
ExecMainStartTimestamp=Mon 2026-11-23 07:59:58 UTC
ExecMainStartTimestampMonotonic=2003456
Id=aos_crashy.service
Names=aos_crashy.service
LoadState=loaded
ActiveState=activating
SubState=auto-restart
ActiveEnterTimestamp=

MainPID=0
ExecMainStartTimestamp=
ExecMainStartTimestampMonotonic=0
Id=aos_gone.service
Names=aos_gone.service
LoadState=not-found
ActiveState=inactive
SubState=dead
ActiveEnterTimestamp=n/a

MainPID=0
ExecMainStartTimestamp=Sun 2026-11-22 23:10:00 UTC
ExecMainStartTimestampMonotonic=1200000
Id=aos_broken.service
Names=aos_broken.service
LoadState=loaded
ActiveState=failed
SubState=failed
ActiveEnterTimestamp=Sun 2026-11-22 23:10:00 UTC
"""


def test_parse_show_splits_blocks_at_blank_lines_and_keeps_empty_values():
    blocks = parse_show(SHOW)
    assert [b["Id"] for b in blocks] == [
        "aos_web.service", "aos_crashy.service", "aos_gone.service", "aos_broken.service",
    ]  # fmt: skip
    assert blocks[0]["ExecMainStartTimestamp"] == "Mon 2026-11-23 08:00:01 UTC"
    assert blocks[1]["ActiveEnterTimestamp"] == ""
    assert blocks[2]["LoadState"] == "not-found"
    assert len(blocks[0]) == 9


def test_parse_show_keeps_everything_after_the_first_equals_sign_and_skips_noise():
    text = (
        "\n\nExecStart={ path=/bin/sh ; argv[]=/bin/sh -c a=b }\nnot a property\nId=x.service\n\n\n"
    )
    assert parse_show(text) == [
        {"ExecStart": "{ path=/bin/sh ; argv[]=/bin/sh -c a=b }", "Id": "x.service"}
    ]
    assert parse_show("") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon 2026-11-23 08:00:01 UTC", datetime(2026, 11, 23, 8, 0, 1, tzinfo=UTC)),
        ("Mon 2026-11-23 08:00:01.123456 UTC", datetime(2026, 11, 23, 8, 0, 1, 123456, tzinfo=UTC)),
        ("2026-11-23 08:00:01 UTC", datetime(2026, 11, 23, 8, 0, 1, tzinfo=UTC)),
        (
            "Mon 2026-11-23 09:00:01 +0100",
            datetime(2026, 11, 23, 9, 0, 1, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("@1795420801", datetime(2026, 11, 23, 8, 0, 1, tzinfo=UTC)),
        ("", None),
        ("n/a", None),
        ("0", None),
        ("yesterday-ish", None),
        ("Mon 2026-13-40 08:00:01 UTC", None),
    ],
)
def test_parse_timestamp_reads_systemd_formats_and_refuses_the_rest(text, expected):
    assert parse_timestamp(text) == expected


def test_parse_timestamp_with_a_named_zone_is_an_aware_time():
    got = parse_timestamp("Mon 2026-11-23 09:00:01 Europe/Berlin")
    assert got == datetime(2026, 11, 23, 8, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("active", "state"),
    [
        ("active", "running"),
        ("reloading", "running"),
        ("inactive", "stopped"),
        ("activating", "starting"),
        ("deactivating", "stopping"),
        ("failed", "failed"),
        ("something-new", "unknown"),
        ("", "unknown"),
    ],
)
def test_active_state_maps_to_the_service_state(active, state):
    assert unit_state({"LoadState": "loaded", "ActiveState": active})["state"] == state


def test_unit_state_of_real_blocks():
    web, crashy, gone, broken = (unit_state(b) for b in parse_show(SHOW))
    assert web == {
        "state": "running",
        "status": "ok",
        "main_pid": 812,
        # ExecMainStartTimestamp is preferred to ActiveEnterTimestamp
        "start_at": datetime(2026, 11, 23, 8, 0, 1, tzinfo=UTC),
    }
    assert (crashy["state"], crashy["status"], crashy["main_pid"]) == ("starting", "error", None)
    assert (gone["state"], gone["status"], gone["start_at"]) == ("unknown", "ok", None)
    assert (broken["state"], broken["status"]) == ("failed", "error")
    assert unit_state(None)["state"] == "unknown"  # systemctl printed nothing for it


def test_blocks_match_units_by_id_and_names_else_by_position():
    a = {"Id": "a.service", "Names": "a.service alias-a.service"}
    b = {"Id": "b.service", "Names": "b.service"}
    odd = {"Id": "renamed.service"}
    # by name, whatever the order; a unit without suffix is a .service
    assert match_blocks(["b", "alias-a.service"], [a, b]) == {"alias-a.service": a, "b": b}
    # a block no unit names goes to the unit at its position
    assert match_blocks(["a.service", "x.service"], [a, odd]) == {"a.service": a, "x.service": odd}
    # counts differ: only names are trusted
    assert match_blocks(["x.service", "alias-a.service", "b"], [a, b]) == {
        "alias-a.service": a, "b": b,
    }  # fmt: skip


# -- sync_services against a real executable


def fake_systemctl(tmp_path: Path, output: str, *, exit_code: int = 0, stderr: str = "") -> Path:
    """An executable that records its arguments (one call per line) and prints ``output``."""
    (tmp_path / "show.out").write_text(output)
    (tmp_path / "show.err").write_text(stderr)
    script = tmp_path / "systemctl"
    script.write_text(
        "#!/bin/sh\n"
        f"printf '%s|' \"$@\" >> '{tmp_path / 'calls'}'\n"
        f"printf 'TZ=%s\\n' \"$TZ\" >> '{tmp_path / 'calls'}'\n"
        f"cat '{tmp_path / 'show.out'}'\n"
        f"cat '{tmp_path / 'show.err'}' >&2\n"
        f"exit {exit_code}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture
def systemd_dir(tmp_path: Path) -> Path:
    path = tmp_path / "run-systemd-system"
    path.mkdir()
    return path


@pytest.fixture(autouse=True)
def _fresh_notices(monkeypatch):
    monkeypatch.setattr(systemd, "_notices", set())


def seed(store) -> None:
    store.services.create("web", service="aos_web.service")
    store.services.create("crashy", service="aos_crashy.service", state="running")
    store.services.create("gone", service="aos_gone.service", main_pid=55)
    store.services.create(
        "broken", service="aos_broken.service", status="limit_exceeded", state="running"
    )
    store.services.create("plain")  # no unit: not asked about


def test_sync_services_writes_what_systemd_reports_with_one_call(store, tmp_path, systemd_dir):
    seed(store)
    gone_start = datetime(2026, 1, 1, tzinfo=UTC)
    store.services.set_start_time("gone", gone_start)
    systemctl = fake_systemctl(tmp_path, SHOW)
    changed = sync_services(store, systemctl=str(systemctl), systemd_dir=systemd_dir)
    assert changed == 4
    calls = (tmp_path / "calls").read_text().splitlines()
    assert len(calls) == 1
    args = calls[0].split("|")
    assert args[0] == "show" and args[1].startswith("--property=Id,")
    assert "ExecMainStartTimestamp" in args[1] and "ActiveEnterTimestamp" in args[1]
    assert args[2] == "--"  # unit names can never be read as options
    assert args[3:7] == ["aos_broken.service", "aos_crashy.service", "aos_gone.service",
                         "aos_web.service"]  # fmt: skip
    assert args[7] == "TZ=UTC"
    web, crashy, gone, broken = (store.services.get(i) for i in ("web", "crashy", "gone", "broken"))
    assert (web.state, web.status, web.main_pid, web.start_at) == (
        "running", "ok", 812, datetime(2026, 11, 23, 8, 0, 1, tzinfo=UTC),
    )  # fmt: skip
    assert (crashy.state, crashy.status, crashy.main_pid) == ("starting", "error", None)
    # not-found: unknown, no process; a start time systemd does not give is left as it was
    assert (gone.state, gone.main_pid, gone.start_at) == ("unknown", None, gone_start)
    assert store.services.get("plain").state == "stopped"


def test_sync_services_never_overwrites_limit_exceeded(store, tmp_path, systemd_dir):
    seed(store)
    sync_services(store, systemctl=str(fake_systemctl(tmp_path, SHOW)), systemd_dir=systemd_dir)
    broken = store.services.get("broken")
    assert (broken.state, broken.status) == ("failed", "limit_exceeded")


def test_a_second_sync_with_nothing_new_changes_nothing(store, tmp_path, systemd_dir):
    seed(store)
    systemctl = str(fake_systemctl(tmp_path, SHOW))
    assert sync_services(store, systemctl=systemctl, systemd_dir=systemd_dir) == 4
    before = store.services.list()
    assert sync_services(store, systemctl=systemctl, systemd_dir=systemd_dir) == 0
    assert store.services.list() == before


def test_without_units_systemctl_is_not_called(store, tmp_path, systemd_dir):
    store.services.create("plain")
    systemctl = fake_systemctl(tmp_path, SHOW)
    assert sync_services(store, systemctl=str(systemctl), systemd_dir=systemd_dir) == 0
    assert not (tmp_path / "calls").exists()


def test_a_failing_systemctl_changes_nothing_and_warns_once(store, tmp_path, systemd_dir, caplog):
    seed(store)
    systemctl = str(fake_systemctl(tmp_path, "", exit_code=1, stderr="Failed to connect to bus"))
    before = store.services.list()
    with caplog.at_level(logging.INFO, logger="nodekeeper"):
        assert sync_services(store, systemctl=systemctl, systemd_dir=systemd_dir) == 0
        assert sync_services(store, systemctl=systemctl, systemd_dir=systemd_dir) == 0
    assert store.services.list() == before
    warnings = [r for r in caplog.records if r.name == "nodekeeper"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "Failed to connect to bus" in warnings[0].getMessage()


@pytest.mark.parametrize("missing", ["dir", "systemctl"])
def test_without_systemd_nothing_changes_and_one_info_line_is_logged_once(
    store, tmp_path, systemd_dir, caplog, missing
):
    seed(store)
    before = store.services.list()
    systemctl = fake_systemctl(tmp_path, SHOW)
    kwargs = (
        {"systemctl": str(systemctl), "systemd_dir": tmp_path / "no-such-dir"}
        if missing == "dir"
        else {"systemctl": "no-such-systemctl-here", "systemd_dir": systemd_dir}
    )
    with caplog.at_level(logging.INFO, logger="nodekeeper"):
        for _ in range(3):
            assert sync_services(store, **kwargs) == 0
    records = [r for r in caplog.records if r.name == "nodekeeper"]
    assert len(records) == 1 and records[0].levelno == logging.INFO
    assert "systemd is not running here" in records[0].getMessage()
    assert store.services.list() == before
    assert not (tmp_path / "calls").exists()
