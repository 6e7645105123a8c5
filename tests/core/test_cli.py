"""The nodekeeper command: formats, exit codes and messages (error: ..., never a traceback)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

import pytest

from core import open_store
from core.cli import main
from core.db.migrate import head_version
from tests.helpers import make_certificate, nic


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "nk.db"
    with open_store(path) as store:
        store.profiles.create("default", description="base", devices={"eth0": nic("br0")})
        store.profiles.create("web", config={"limits.cpu": "2"})
        store.containers.create("web1", profiles=["default", "web"], config={"limits.cpu": "4"})
        store.containers.create("db1", profiles=["default"], devices={"eth0": nic("br1")})
        store.containers.create("evil", config={"user.note": "\x1b[2Jgone"})
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_table(capsys, db):
    code, out, _ = run(capsys, "list", "containers", "--db", db)
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["NAME", "STATE", "ARCH", "PROFILES", "NETWORKS", "IMAGE"]
    assert [line.split()[0] for line in lines[1:]] == ["db1", "evil", "web1"]
    assert "br0" in lines[3]  # web1's nic comes from its profile


def test_list_json_objects_have_stable_keys_name_first(capsys, db):
    code, out, _ = run(capsys, "--db", db, "list", "containers", "--format", "json")
    data = json.loads(out)
    assert code == 0 and [c["name"] for c in data] == ["db1", "evil", "web1"]
    assert all(list(c)[0] == "name" for c in data)
    # The container's own form, then the columns it lacks (what `list` shows besides)
    assert list(data[0]) == ["name", "architecture", "type", "power_state", "ephemeral", "profiles",
                             "config", "devices", "networks", "image"]  # fmt: skip
    assert data[2]["profiles"] == ["default", "web"]


def test_list_csv(capsys, db):
    code, out, _ = run(capsys, "list", "profiles", "--format", "csv", "--db", db)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert [(r["name"], r["used_by"]) for r in rows] == [("default", "2"), ("web", "1")]


def test_list_filters(capsys, db):
    _, out, _ = run(capsys, "list", "containers", "--using", "br0", "--format", "json", "--db", db)
    assert [c["name"] for c in json.loads(out)] == ["web1"]
    _, out, _ = run(
        capsys, "list", "containers", "--profile", "default", "--format", "json", "--db", db
    )
    assert [c["name"] for c in json.loads(out)] == ["db1", "web1"]
    _, out, _ = run(capsys, "list", "profiles", "--using", "br0", "--format", "json", "--db", db)
    assert [p["name"] for p in json.loads(out)] == ["default"]


def test_control_characters_are_escaped_in_output(capsys, db):
    _, out, _ = run(capsys, "show", "container", "evil", "--db", db)
    assert "\x1b" not in out and '"\\u001b[2Jgone"' in out  # TOML's own escape
    with open_store(db) as store:
        store.profiles.create("bell", description="ring\x07\x1b]0;title\x07")
    _, out, _ = run(capsys, "list", "profiles", "--db", db)
    assert "\x1b" not in out and "\x07" not in out
    assert "ring\\x07\\x1b]0;title\\x07" in out


def test_show_expanded_says_where_each_key_came_from(capsys, db):
    code, out, _ = run(capsys, "show", "container", "web1", "--expanded", "--db", db)
    assert code == 0
    assert '"limits.cpu" = "4"  # from local' in out
    assert "[devices.eth0]  # from profile:default" in out
    code, out, _ = run(
        capsys, "show", "container", "web1", "--expanded", "--format", "json", "--db", db
    )
    data = json.loads(out)
    assert data["devices"]["eth0"] == {
        "device": {"type": "nic", "network": "br0"},
        "from": "profile:default",
    }


def test_export_then_apply_round_trip(capsys, db, tmp_path):
    code, out, _ = run(capsys, "export", "container", "web1", "--db", db)
    assert code == 0
    doc = tmp_path / "web1.toml"
    doc.write_text(out.replace('"limits.cpu" = "4"', '"limits.cpu" = "6"'))
    code, out, _ = run(capsys, "apply", str(doc), "--db", db)
    assert (code, out) == (0, "updated container web1\n")
    with open_store(db) as store:
        assert store.containers.get("web1").config == {"limits.cpu": "6"}


def test_apply_of_an_invalid_file_exits_1_and_changes_nothing(capsys, db, tmp_path):
    doc = tmp_path / "bad.toml"
    doc.write_text('[[containers]]\nname = "web1"\nprofiles = ["missing"]\n')
    code, out, err = run(capsys, "apply", str(doc), "--db", db)
    assert code == 1 and out == ""
    assert (
        err.startswith("error: ")
        and "containers[0].profiles: 'missing' is not a profile of the store" in err
    )
    with open_store(db) as store:
        assert store.containers.get("web1").profiles == ["default", "web"]


def test_apply_of_a_missing_file_names_it(capsys, db, tmp_path):
    code, _, err = run(capsys, "apply", str(tmp_path / "nope.toml"), "--db", db)
    assert code == 1 and f"cannot read {tmp_path / 'nope.toml'}" in err


def test_unknown_resource_is_an_error(capsys, db):
    code, _, err = run(capsys, "show", "container", "ghost", "--db", db)
    assert (code, err) == (1, "error: container 'ghost' not found\n")


def test_deleting_a_used_profile_is_refused(capsys, db):
    code, _, err = run(capsys, "delete", "profile", "default", "--db", db)
    assert code == 1 and "still used by containers: db1, web1" in err
    code, out, _ = run(capsys, "delete", "container", "evil", "--db", db)
    assert (code, out) == (0, "deleted container evil\n")


def test_certificates_listing(capsys, db, tmp_path):
    pem, _ = make_certificate("ops")
    (tmp_path / "c.toml").write_text(f'kind = "certificate"\ncertificate = """{pem}"""\n')
    assert run(capsys, "apply", str(tmp_path / "c.toml"), "--db", db)[0] == 0
    code, out, _ = run(capsys, "list", "certificates", "--db", db)
    assert code == 0 and out.splitlines()[1].split()[:2] == ["ops", "client"]


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["list", "volumes"])
    assert exit_info.value.code == 2


def test_db_status_upgrade_and_check(capsys, db):
    head = head_version()
    code, out, _ = run(capsys, "db", "status", "--db", db)
    assert code == 0 and f"schema version: {head} (this nodekeeper: {head})" in out
    assert "up to date" in out and "version 1  applied" in out
    code, out, _ = run(capsys, "db", "upgrade", "--db", db)
    assert (code, out) == (0, f"schema version {head}: already up to date\n")
    code, out, _ = run(capsys, "db", "check", "--db", db)
    assert (code, out) == (0, "ok\n")


def test_db_check_reports_broken_foreign_keys(capsys, db):
    import sqlite3

    conn = sqlite3.connect(db)  # foreign keys are off in a plain sqlite3 connection
    conn.execute(
        "INSERT INTO containers_config (container_id, key, value) VALUES (999, 'a.b', 'x')"
    )
    conn.commit()
    conn.close()
    code, out, _ = run(capsys, "db", "check", "--db", db)
    assert code == 1 and "foreign key: containers_config" in out


def test_db_status_of_a_missing_file_does_not_create_it(capsys, tmp_path):
    code, _, err = run(capsys, "db", "status", "--db", str(tmp_path / "none.db"))
    assert code == 1 and "does not exist" in err
    assert not (tmp_path / "none.db").exists()


def test_database_errors_print_one_line_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "--db", str(tmp_path), "list", "containers"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == f"error: {tmp_path} is a directory, not a database file\n"


def test_environment_variable_selects_the_database(capsys, db, monkeypatch):
    monkeypatch.setenv("NODEKEEPER_DB", db)
    code, out, _ = run(capsys, "list", "profiles")
    assert code == 0 and "default" in out


def test_import_lxc_reports_each_failure_and_exits_1(capsys, db, tmp_path):
    lxc = tmp_path / "lxc"
    (lxc / "good").mkdir(parents=True)
    (lxc / "good" / "config").write_text(
        "# a container\nlxc.arch = amd64\nlxc.net.0.type = veth\nlxc.net.0.link = br0\n"
    )
    (lxc / "broken").mkdir()
    (lxc / "broken" / "config").write_text("lxc.uts.name = broken\nthis line has no equals sign\n")
    code, out, err = run(capsys, "import-lxc", str(lxc), "--db", db)
    assert code == 1
    assert out == "1 created, 0 updated, 0 unchanged, 1 failed\n"
    assert f"error: broken: {lxc / 'broken' / 'config'}:2:" in err
    code, out, _ = run(capsys, "import-lxc", str(lxc), "--db", db)
    assert out == "0 created, 0 updated, 1 unchanged, 1 failed\n"
    with open_store(db) as store:
        assert "good" in store.containers.using_network("br0")
        assert "broken" not in store.containers.names()


def test_import_lxc_of_a_missing_directory_is_an_error(capsys, db, tmp_path):
    code, _, err = run(capsys, "import-lxc", str(tmp_path / "nowhere"), "--db", db)
    assert code == 1 and "does not exist" in err


# -- services and users (seed 000)


@pytest.fixture
def svc_db(tmp_path):
    from datetime import UTC, datetime, timedelta

    path = tmp_path / "svc.db"
    now = datetime.now(UTC)
    with open_store(path) as store:
        store.services.create(
            "web", service="aos_web.service", version=3, state="running", ttl=30,
            ul_limit=1000, dl_limit=2000, start_at=now - timedelta(days=1),
        )  # fmt: skip
        store.services.create("old", ttl=1, start_at=now - timedelta(days=2))
        store.services.create("mine", ttl=1, start_at=now - timedelta(days=2))
        store.users.bind(["u2", "u1"], "web", storage_folder="/srv/u", state_checksum=b"\xab" * 32)
        store.users.bind(["me"], "mine")
        store.users.bind(["u1", "u2"], "old")
    return str(path)


def test_list_services_table_has_the_service_columns(capsys, svc_db):
    code, out, _ = run(capsys, "list", "services", "--db", svc_db)
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split("  ")[0] == "ID"
    assert [h.strip() for h in lines[0].split("  ") if h.strip()] == [
        "ID", "STATE", "STATUS", "IN", "OUT", "USERS", "TTL d", "DL LIMIT", "UL LIMIT", "VER",
        "UNIT",
    ]  # fmt: skip
    assert [line.split()[0] for line in lines[1:]] == ["mine", "old", "web"]
    code, out, _ = run(capsys, "list", "services", "--columns", "id,state,status,unit,ver,ttl,"
                       "ul_limit,dl_limit", "--db", svc_db)  # fmt: skip
    assert re.split(r" {2,}", out.splitlines()[3]) == [
        "web", "running", "ok", "aos_web.service", "3", "30", "1000 B", "2.0 KiB",
    ]  # fmt: skip


def test_list_services_json_objects_have_stable_keys_name_first(capsys, svc_db):
    code, out, _ = run(capsys, "list", "services", "--format", "json", "--db", svc_db)
    data = json.loads(out)
    assert code == 0 and [s["name"] for s in data] == ["mine", "old", "web"]
    assert list(data[2]) == [
        "name", "id", "version", "path", "service", "user", "permissions", "state", "status",
        "start_at", "main_pid", "ttl", "alert_rules", "ul_limit", "dl_limit", "storage_limit",
        "state_limit", "traffic_in", "traffic_out", "users",
    ]  # fmt: skip
    assert (data[2]["id"], data[2]["state"], data[2]["ul_limit"]) == ("web", "running", 1000)
    assert data[2]["start_at"].endswith("+00:00")


def test_list_users_table_json_and_csv(capsys, svc_db):
    code, out, _ = run(capsys, "list", "users", "--db", svc_db)
    lines = out.splitlines()
    assert code == 0
    assert [h.strip() for h in lines[0].split("  ") if h.strip()] == [
        "CLAIMS", "SERVICE", "SERVICE STATE", "STORAGE FOLDER", "CHECKSUM",
    ]  # fmt: skip
    assert lines[1].split() == ['["me"]', "mine", "stopped"]
    assert lines[3].split() == ['["u1","u2"]', "web", "running", "/srv/u", "ab" * 6]
    code, out, _ = run(
        capsys, "list", "users", "--format", "json", "--service", "web", "--db", svc_db
    )
    assert json.loads(out) == [{
        "name": '["u1","u2"]', "claims": ["u1", "u2"], "service_id": "web",
        "storage_folder": "/srv/u", "state_checksum": "ab" * 32, "service_state": "running",
    }]  # fmt: skip
    code, out, _ = run(capsys, "list", "users", "--format", "csv", "--db", svc_db)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["name"], r["service_id"]) for r in rows] == [
        ('["me"]', "mine"), ('["u1","u2"]', "old"), ('["u1","u2"]', "web"),
    ]  # fmt: skip


def test_list_users_of_an_unknown_service_is_an_error(capsys, svc_db):
    code, _, err = run(capsys, "list", "users", "--service", "ghost", "--db", svc_db)
    assert (code, err) == (1, "error: service 'ghost' not found\n")
    code, _, err = run(capsys, "list", "services", "--service", "web", "--db", svc_db)
    assert (code, err) == (1, "error: --service filters users only, not services\n")
    code, _, err = run(capsys, "list", "services", "--using", "br0", "--db", svc_db)
    assert code == 1 and "--using filters containers and profiles" in err


def test_show_service_as_toml_and_json(capsys, svc_db):
    code, out, _ = run(capsys, "show", "service", "web", "--db", svc_db)
    assert code == 0 and out.startswith('kind = "service"\nid = "web"\n')
    assert 'state = "running"' in out and "ul_limit = 1000" in out
    code, out, _ = run(capsys, "show", "service", "web", "--format", "json", "--db", svc_db)
    data = json.loads(out)
    assert (data["id"], data["state"], data["ttl"]) == ("web", "running", 30)
    code, _, err = run(capsys, "show", "service", "ghost", "--db", svc_db)
    assert (code, err) == (1, "error: service 'ghost' not found\n")


def test_export_then_apply_a_service_round_trip(capsys, svc_db, tmp_path):
    code, out, _ = run(capsys, "export", "service", "web", "--db", svc_db)
    assert code == 0 and out.startswith("# nodekeeper service 'web'\n")
    doc = tmp_path / "web.toml"
    doc.write_text(out.replace("ul_limit = 1000", "ul_limit = 5000"))
    code, out, _ = run(capsys, "apply", str(doc), "--db", svc_db)
    assert (code, out) == (0, "updated service web\n")
    with open_store(svc_db) as store:
        assert store.services.get("web").ul_limit == 5000
    code, out, _ = run(capsys, "apply", str(doc), "--db", svc_db)
    assert (code, out) == (0, "unchanged service web\n")


def test_apply_of_an_invalid_service_exits_1_and_changes_nothing(capsys, svc_db, tmp_path):
    doc = tmp_path / "bad.toml"
    doc.write_text('[[services]]\nid = "web"\nttl = -5\n')
    code, out, err = run(capsys, "apply", str(doc), "--db", svc_db)
    assert code == 1 and out == ""
    assert err.startswith("error: ") and "services[0].ttl: -5 must not be negative" in err
    with open_store(svc_db) as store:
        assert store.services.get("web").ttl == 30


def test_delete_service_removes_its_user_rows(capsys, svc_db):
    code, out, _ = run(capsys, "delete", "service", "web", "--db", svc_db)
    assert (code, out) == (0, "deleted service web\n")
    with open_store(svc_db) as store:
        assert store.users.entries(claims=["u1", "u2"])[0].service_id == "old"
        assert len(store.users.entries()) == 2
    code, _, err = run(capsys, "delete", "service", "web", "--db", svc_db)
    assert (code, err) == (1, "error: service 'web' not found\n")


def test_delete_user_unbinds_one_claim_set_and_keeps_the_service(capsys, svc_db):
    code, out, _ = run(capsys, "delete", "user", '["u2","u1"]', "--service", "web", "--db", svc_db)
    assert (code, out) == (0, 'deleted user ["u1","u2"] on web\n')
    with open_store(svc_db) as store:
        assert [e.service_id for e in store.users.entries(claims=["u1", "u2"])] == ["old"]
        assert store.services.get("web").id == "web"
    code, _, err = run(capsys, "delete", "user", '["u1","u2"]', "--service", "web", "--db", svc_db)
    assert code == 1 and "not found" in err
    # Named wrongly, nothing is touched: no --service, a claim set that is not a JSON list.
    code, _, err = run(capsys, "delete", "user", '["u1","u2"]', "--db", svc_db)
    assert code == 1 and "--service ID is required" in err
    code, _, err = run(capsys, "delete", "user", "u1", "--service", "old", "--db", svc_db)
    assert code == 1 and "claims" in err
    code, _, err = run(capsys, "delete", "service", "web", "--service", "web", "--db", svc_db)
    assert code == 1 and "--service applies to users only" in err
    with open_store(svc_db) as store:
        assert len(store.users.entries()) == 2 and store.services.get("web")


def test_services_expire_dry_run_prints_what_would_go_and_changes_nothing(capsys, svc_db):
    code, out, _ = run(capsys, "services", "expire", "--dry-run", "--db", svc_db)
    assert (code, out) == (0, "would remove service mine\nwould remove service old\n")
    code, out, _ = run(
        capsys, "services", "expire", "--dry-run", "--users", '["me"]', "--db", svc_db
    )
    assert (code, out) == (0, "would remove service old\n")
    with open_store(svc_db) as store:
        assert store.services.ids() == ["mine", "old", "web"]


def test_services_expire_removes_expired_services_not_used_by_the_current_claim_set(capsys, svc_db):
    with open_store(svc_db) as store:
        store.users.set_current(["me"])
    code, out, _ = run(capsys, "services", "expire", "--db", svc_db)
    assert (code, out) == (0, "removed service old\n")
    code, out, err = run(capsys, "services", "expire", "--db", svc_db)
    assert (code, out, err) == (0, "", "no service has expired\n")
    with open_store(svc_db) as store:
        assert store.services.ids() == ["mine", "web"]
        assert [e.service_id for e in store.users.entries(claims=["u1", "u2"])] == ["web"]


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ("user1", "is not a JSON list"),
        ('"user1"', "must be a list of strings"),
        ("[]", "at least one"),
    ],
)
def test_services_expire_with_bad_users_json_exits_1(capsys, svc_db, users, message):
    code, out, err = run(capsys, "services", "expire", "--users", users, "--db", svc_db)
    assert code == 1 and out == ""
    assert err.startswith("error: --users: ") and message in err
    with open_store(svc_db) as store:
        assert store.services.ids() == ["mine", "old", "web"]


def test_services_expire_on_a_read_only_store_is_refused_but_dry_run_works(capsys, svc_db):
    code, _, err = run(capsys, "services", "expire", "--read-only", "--db", svc_db)
    assert code == 1 and "read-only" in err
    code, out, _ = run(capsys, "services", "expire", "--dry-run", "--read-only", "--db", svc_db)
    assert code == 0 and "would remove service old" in out


def test_csv_and_error_output_escape_control_characters(capsys, db, tmp_path):
    with open_store(db) as store:
        store.profiles.create("evil", description="\x1b]0;pwned\x07\x1b[31mRED")
    code, out, _ = run(capsys, "list", "profiles", "--format", "csv", "--db", db)
    assert code == 0 and "\x1b" not in out and "\\x1b]0;pwned\\x07" in out
    bad = tmp_path / "bad\x1b[31m.toml"
    code, _, err = run(capsys, "apply", str(bad), "--db", db)
    assert code == 1 and "\x1b" not in err and "bad\\x1b[31m.toml" in err  # as in a table cell


def test_warnings_are_one_escaped_line_each(capsys, tmp_path):
    path = tmp_path / "nk.db"
    with open_store(path) as store:
        store.containers.create("c1")
    path.chmod(0o444)
    code, out, err = run(capsys, "list", "containers", "--db", str(path))
    assert code == 0 and "c1" in out
    assert err == f"warning: {path} is read-only: opening it read-only, changes are refused\n"


# -- sizes in tables, deleting a running container, wording ------------------------------------


GiB = 1 << 30


@pytest.fixture
def sized_db(tmp_path):
    from core import ImageInfo

    path = tmp_path / "sized.db"
    with open_store(path) as store:
        store.services.create("big", ul_limit=400 * GiB, dl_limit=10**9)
        store.services.create("none")
        store.images.create(ImageInfo(fingerprint="ab" * 32, filename="img.tar.xz",
                                      size=5 * GiB, architecture="x86_64"))  # fmt: skip
        store.images.create(ImageInfo(fingerprint="cd" * 32, filename="tiny.tar.xz", size=512,
                                      architecture="x86_64"))  # fmt: skip
    return str(path)


def test_tables_show_sizes_and_limits_in_iec_units(capsys, sized_db):
    code, out, _ = run(capsys, "list", "services", "--db", sized_db)
    assert code == 0
    assert out.splitlines() == [  # aligned right, so that the units line up
        "ID    STATE    STATUS  IN  OUT  USERS  TTL d   DL LIMIT  UL LIMIT  VER  UNIT",
        "big   stopped  ok                   0         953.7 MiB   400 GiB    0",
        "none  stopped  ok                   0                                0",
    ]

    code, out, _ = run(capsys, "list", "images", "--db", sized_db)
    header, big, tiny = out.splitlines()
    assert code == 0
    assert "  5 GiB        0  no  " in big and "  512 B        0  no  " in tiny
    assert header.index("SIZE") + len("SIZE") == big.index("5 GiB") + len("5 GiB")


def test_json_and_csv_keep_exact_numbers_of_bytes(capsys, sized_db):
    _, out, _ = run(capsys, "list", "services", "--format", "json", "--db", sized_db)
    limits = {s["id"]: (s["ul_limit"], s["dl_limit"]) for s in json.loads(out)}
    assert limits == {"big": (400 * GiB, 10**9), "none": (None, None)}
    _, out, _ = run(capsys, "list", "services", "--format", "csv", "--db", sized_db)
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert (rows["big"]["ul_limit"], rows["big"]["dl_limit"]) == (str(400 * GiB), "1000000000")
    assert (rows["none"]["ul_limit"], rows["none"]["dl_limit"]) == ("", "")

    _, out, _ = run(capsys, "list", "images", "--format", "json", "--db", sized_db)
    assert [i["size"] for i in json.loads(out)] == [5 * GiB, 512]
    _, out, _ = run(capsys, "list", "images", "--format", "csv", "--db", sized_db)
    assert [r["size"] for r in csv.DictReader(io.StringIO(out))] == [str(5 * GiB), "512"]


def test_delete_refuses_a_running_container_unless_forced(capsys, db):
    with open_store(db) as store:
        store.containers.update("web1", power_state="running")
    code, out, err = run(capsys, "delete", "container", "web1", "--db", db)
    assert (code, out) == (1, "")
    assert err == "error: container 'web1' is running: stop it first, or delete it with --force\n"
    with open_store(db, read_only=True) as store:
        assert store.containers.get("web1").profiles == ["default", "web"]  # left as it was

    code, out, _ = run(capsys, "delete", "container", "web1", "--force", "--db", db)
    assert (code, out) == (0, "deleted container web1\n")
    code, out, _ = run(capsys, "delete", "container", "db1", "--db", db)  # stopped: no --force
    assert (code, out) == (0, "deleted container db1\n")
    with open_store(db, read_only=True) as store:
        assert store.containers.names() == ["evil"]


def test_delete_force_is_refused_for_other_kinds(capsys, db):
    code, _, err = run(capsys, "delete", "profile", "web", "--force", "--db", db)
    assert code == 1
    assert err == "error: --force applies to containers only (a running one), not to a profile\n"
    with open_store(db, read_only=True) as store:
        assert "web" in store.profiles.names()


def test_db_stats_says_1_row(capsys, db):
    code, out, _ = run(capsys, "db", "stats", "--db", db)
    counts = {line.split()[0]: line.split(None, 1)[1].strip() for line in out.splitlines()[1:]}
    assert code == 0
    assert counts["containers"] == "3 rows"
    assert counts["containers_profiles"] == "3 rows"  # web1 two, db1 one
    assert counts["containers_config"] == "2 rows"
    assert counts["containers_devices"] == "1 row"  # db1's eth0
    assert counts["accounts"] == "0 rows"


def test_collect_once_says_it_takes_one_reading_not_an_interval(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "--db", str(tmp_path / "live.db"), "collect", "--once"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "collecting every" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"created a new database at {tmp_path / 'live.db'}"
    assert lines[1] == f"info: taking one reading into {tmp_path / 'live.db'}"
    assert lines[-1] == "info: 1 reading written"


def test_demo_refusal_speaks_cli(capsys, db):
    code, _, err = run(capsys, "demo", "--db", db, "--days", "0")
    assert code == 1
    assert err.startswith(f"error: the store {db} is not empty: it holds 3 containers (db1, evil, ")
    assert "2 profiles (default, web)" in err
    assert "use --force to add the demo data anyway" in err and "force=True" not in err
    with open_store(db, read_only=True) as store:
        assert store.profiles.names() == ["default", "web"]  # nothing added


def test_list_columns_picks_and_orders_columns_by_name_or_header(capsys, db):
    code, out, _ = run(capsys, "list", "containers", "--columns", "image,name,state", "--db", db)
    assert code == 0
    assert out.splitlines()[0].split() == ["IMAGE", "NAME", "STATE"]  # "state": its header
    code, out, _ = run(capsys, "list", "containers", "-c", "name,networks", "--format", "csv",
                       "--db", db)  # fmt: skip
    assert out.splitlines()[0] == "name,networks"
    code, out, _ = run(capsys, "list", "profiles", "-c", "name,used_by", "--format", "json",
                       "--db", db)  # fmt: skip
    assert json.loads(out) == [{"name": "default", "used_by": 2}, {"name": "web", "used_by": 1}]


def test_list_columns_names_an_unknown_column_and_lists_the_known_ones(capsys, db):
    code, out, err = run(capsys, "list", "containers", "--columns", "name,colour", "--db", db)
    assert (code, out) == (1, "")
    assert err == (
        "error: --columns: 'colour' is not a column of containers (columns: name, power_state, "
        "architecture, profiles, networks, image; --columns help describes them)\n"
    )
    code, out, _ = run(capsys, "list", "images", "--columns", "help", "--db", db)
    assert code == 0 and out.splitlines()[1:3] == [
        "  fingerprint      Fingerprint", "  aliases          Aliases",
    ]  # fmt: skip
    code, _, err = run(capsys, "list", "images", "--columns", "size,SIZE", "--db", db)
    assert (code, err) == (1, "error: --columns: size named more than once\n")
    code, _, err = run(capsys, "list", "images", "--columns", ",", "--db", db)
    assert code == 1 and "name at least one column of images" in err


def test_list_columns_takes_a_header_as_shown(capsys, db):
    code, out, _ = run(capsys, "list", "profiles", "-c", "Used By,name", "--db", db)
    assert code == 0 and out.splitlines()[0].split() == ["USED", "BY", "NAME"]


def on_a_pty(
    columns: int, *argv: str, stderr: bool = False, interrupt_on: str | None = None
) -> tuple[int, str, str]:
    """Run `nodekeeper ARGV` on a real terminal (a pty) ``columns`` wide: its standard output,
    and its standard error too with ``stderr``. ``interrupt_on``: press Ctrl-C (SIGINT) once
    the terminal shows that text. Returns the exit code, what the terminal showed, and the
    standard error when it was not on the terminal."""
    import fcntl
    import os
    import signal
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", *argv], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave if stderr else subprocess.PIPE, env=env)  # fmt: skip
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the pty is closed once the command has ended
            break
        if not chunk:
            break
        shown += chunk
        if interrupt_on is not None and interrupt_on.encode() in shown:
            proc.send_signal(signal.SIGINT)
            interrupt_on = None
    os.close(master)
    code = proc.wait(timeout=60)
    err = "" if stderr else proc.stderr.read().decode()
    return code, shown.decode().replace("\r\n", "\n"), err


def in_a_terminal(columns: int, *argv: str) -> str:
    """What `nodekeeper ARGV` prints on a real terminal (a pty) ``columns`` wide."""
    code, shown, err = on_a_pty(columns, *argv)
    assert code == 0, err
    return shown


def test_a_table_fits_the_terminal_as_the_console_does(capsys, db, monkeypatch):
    with open_store(db) as store:
        store.profiles.create("long", description="a description far longer than any terminal " * 3)
    monkeypatch.setenv("COLUMNS", "60")  # to a pipe every column is whole, whatever it says
    _, wide, _ = run(capsys, "list", "profiles", "--db", db)
    assert max(map(len, wide.splitlines())) > 120
    lines = in_a_terminal(60, "list", "profiles", "--db", db).splitlines()
    assert max(map(len, lines)) <= 60
    assert lines[0].split()[:5] == ["NAME", "USED", "BY", "CONFIG", "DEVICES"]  # numbers whole
    assert any(line.endswith("…") for line in lines)  # the description cut, and says so
    # The least important go first, never the name; a fixed-format value is never cut
    assert in_a_terminal(24, "list", "profiles", "--db", db).split("\n")[0].split() == [
        "NAME", "USED", "BY", "CONFIG",
    ]  # fmt: skip


# -- the progress bar of long commands (demo, import-lxc): on a terminal only

FINISHED = r"(?P<stage>[a-z]+)  (?P<done>[\d,]+)/(?P=done) 100% \[█+\] [\d,.]+/s in \d+:\d\d"


def redraws(shown: str) -> list[list[str]]:
    """The terminal's lines, each as the versions of it drawn in place (after each \\r)."""
    return [[part for part in line.split("\r") if part] for line in shown.split("\n")]


@pytest.mark.parametrize("columns", [100, 40])
def test_demo_draws_a_bar_per_stage_in_place_on_a_terminal(tmp_path, columns):
    db = str(tmp_path / "demo.db")
    code, shown, _ = on_a_pty(columns, "demo", "--db", db, "--containers", "40", "--days", "1",
                              stderr=True)  # fmt: skip
    assert code == 0, shown
    lines = redraws(shown)
    bars = [line for line in lines if line and " ETA " in line[0]]
    assert [line[0].split()[0] for line in bars] == [
        "containers",
        "history",
        "traffic",
        "aggregates",
    ]
    for line in bars:
        stage, count, percent = line[0].split()[:3]
        total = count.split("/")[1]
        assert (count, percent) == (f"0/{total}", "0%")  # drawn from the start of the stage,
        assert len(line) >= 2  # then redrawn in place up to its end
        assert all(len(drawn) <= columns - 1 for drawn in line)  # never wrapping
        end = line[-1].rstrip()
        assert end.startswith(f"{stage}  {total}/{total} 100% ")
        if columns > 60:  # count, percentage, bar, rate and time taken
            assert re.fullmatch(FINISHED, end), end
        else:  # the bar goes first on a narrow terminal
            assert "[" not in end and re.search(r"100% [\d,.]+/s in \d+:\d\d$", end), end
    assert bars[0][-1].startswith("containers  40/40 100% ")
    created, summary = [line[-1] for line in lines if line][-2:]
    assert created == f"created a new database at {db}"
    assert summary.startswith("created 40 containers, 6 profiles")


def test_no_bar_is_drawn_when_standard_error_is_not_a_terminal(tmp_path, capsys):
    db = str(tmp_path / "demo.db")
    code, shown, err = on_a_pty(100, "demo", "--db", db, "--containers", "12", "--days", "1")
    assert code == 0 and shown.startswith("created 12 containers")  # stdout is a terminal
    assert err == f"created a new database at {db}\n"
    lxc = tmp_path / "lxc"
    (lxc / "c1").mkdir(parents=True)
    (lxc / "c1" / "config").write_text("lxc.arch = amd64\n")
    code, out, err = run(capsys, "import-lxc", str(lxc), "--db", db)
    assert (code, out, err) == (0, "1 created, 0 updated, 0 unchanged, 0 failed\n", "")


def test_import_lxc_draws_the_same_bar_with_each_name_escaped(tmp_path):
    lxc = tmp_path / "lxc"
    for name in ("a1", "a2", "z\x1b[2Jevil"):
        (lxc / name).mkdir(parents=True)
        (lxc / name / "config").write_text("lxc.arch = amd64\n")
    db = str(tmp_path / "nk.db")
    code, shown, _ = on_a_pty(100, "import-lxc", str(lxc), "--db", db, stderr=True)
    assert code == 1  # the third name is no container name
    assert "\x1b" not in shown  # the name's escape sequence is shown, never run
    bar = next(line for line in redraws(shown) if line and line[0].startswith("importing"))
    assert re.fullmatch(FINISHED + r" z\\x1b\[2Jevil", bar[-1].rstrip()), bar[-1]
    assert shown.endswith("2 created, 0 updated, 0 unchanged, 1 failed\n")


def test_ctrl_c_ends_the_bar_line_before_saying_interrupted(tmp_path):
    db = str(tmp_path / "demo.db")
    code, shown, _ = on_a_pty(100, "demo", "--db", db, "--containers", "20000", "--days", "0",
                              stderr=True, interrupt_on="/20,000")  # fmt: skip
    assert code == 130, shown
    lines = redraws(shown)
    assert lines[-2:] == [["interrupted"], []], shown  # on a line of its own, after the bar's
    bar = lines[-3]
    assert re.fullmatch(
        r"containers  [\d,]+/20,000 +\d+% \[.*\] \S+/s in \d+:\d\d", bar[-1].rstrip()
    )
    assert "Traceback" not in shown
    with open_store(db) as store:  # the demo's one transaction was rolled back
        assert store.containers.names() == [] and store.profiles.names() == []
