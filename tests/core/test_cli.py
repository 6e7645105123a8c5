"""The nodekeeper command: formats, exit codes and messages (error: ..., never a traceback)."""

from __future__ import annotations

import csv
import io
import json
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
    assert list(data[0]) == ["name", "architecture", "type", "power_state", "ephemeral", "profiles",
                             "config", "devices"]  # fmt: skip
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
    assert err.startswith("error: ") and "profile 'missing' does not exist" in err
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
