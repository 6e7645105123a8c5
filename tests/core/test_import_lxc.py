"""Importing traditional LXC containers (DIR/<name>/config) into the store.

Parsing is tested on plain files in tmp_path; importing runs on every backend (``store``).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import insert

from core import ValidationError, open_store
from core.importers import ImportReport, ParseError, import_lxc, parse_container
from core.store.lxd_common import T


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def container(root: Path, name: str, text: str) -> Path:
    write(root / name / "config", text)
    return root / name


# ---------------------------------------------------------------------------------------------
# the config file format


def test_comments_and_blank_lines_are_ignored(tmp_path: Path):
    d = container(
        tmp_path,
        "web1",
        """
        # a comment
            # an indented comment

        lxc.uts.name = web1
        """,
    )
    assert parse_container(d).config == {"lxc.uts.name": "web1"}


def test_whitespace_around_equals_is_optional(tmp_path: Path):
    d = container(tmp_path, "web1", "lxc.uts.name=web1\nlxc.apparmor.profile   =  unconfined  \n")
    assert parse_container(d).config == {
        "lxc.uts.name": "web1",
        "lxc.apparmor.profile": "unconfined",
    }


def test_repeated_key_is_stored_once_joined_by_newlines_in_file_order(tmp_path: Path):
    d = container(
        tmp_path,
        "web1",
        """
        lxc.cap.drop = sys_module
        lxc.uts.name = web1
        lxc.cap.drop = mac_admin
        lxc.cap.drop = sys_time
        """,
    )
    assert parse_container(d).config["lxc.cap.drop"] == "sys_module\nmac_admin\nsys_time"


def test_other_keys_are_kept_as_config_under_their_lxc_key(tmp_path: Path):
    d = container(
        tmp_path,
        "web1",
        """
        lxc.uts.name = web1
        lxc.apparmor.profile = generated
        lxc.rootfs.path = dir:/var/lib/lxc/web1/rootfs
        lxc.hook.pre-start = /bin/true
        """,
    )
    assert parse_container(d).config == {
        "lxc.uts.name": "web1",
        "lxc.apparmor.profile": "generated",
        "lxc.rootfs.path": "dir:/var/lib/lxc/web1/rootfs",
        "lxc.hook.pre-start": "/bin/true",
    }


def test_line_without_equals_is_an_error_naming_file_and_line(tmp_path: Path):
    d = container(tmp_path, "web1", "# fine\nlxc.uts.name = web1\nthis is not a setting\n")
    with pytest.raises(ParseError) as info:
        parse_container(d)
    assert info.value.path == d / "config"
    assert info.value.line == 3
    assert f"{d / 'config'}:3:" in str(info.value)


def test_malformed_line_in_an_included_file_names_that_file_and_line(tmp_path: Path):
    common = write(tmp_path / "common.conf", "lxc.cap.drop = sys_time\n\nbroken\n")
    d = container(tmp_path, "web1", f"lxc.include = {common}\n")
    with pytest.raises(ParseError, match=rf"{common}:3: expected 'key = value'"):
        parse_container(d)


def test_config_key_that_is_not_dotted_is_an_error_naming_the_line(tmp_path: Path):
    d = container(tmp_path, "web1", "lxc.uts.name = web1\nhostname = web1\n")
    with pytest.raises(ParseError, match=r"config:2: config key must be dotted words"):
        parse_container(d)


# ---------------------------------------------------------------------------------------------
# lxc.include


def test_include_with_a_relative_path_is_resolved_against_the_including_file(tmp_path: Path):
    write(tmp_path / "shared" / "common.conf", "lxc.apparmor.profile = generated\n")
    write(tmp_path / "shared" / "extra.conf", "lxc.cap.drop = sys_time\n")
    # common.conf includes extra.conf relative to itself, not to the container directory
    write(tmp_path / "shared" / "common.conf", "lxc.include = extra.conf\nlxc.start.auto = 1\n")
    d = container(tmp_path, "web1", "lxc.include = ../shared/common.conf\nlxc.uts.name = web1\n")
    assert parse_container(d).config == {
        "lxc.cap.drop": "sys_time",
        "lxc.start.auto": "1",
        "lxc.uts.name": "web1",
    }


def test_include_of_a_directory_reads_every_conf_file_in_name_order(tmp_path: Path):
    write(tmp_path / "conf.d" / "20-b.conf", "lxc.cap.drop = second\n")
    write(tmp_path / "conf.d" / "10-a.conf", "lxc.cap.drop = first\n")
    write(tmp_path / "conf.d" / "README", "not a config file at all\n")
    d = container(tmp_path, "web1", "lxc.include = ../conf.d\nlxc.cap.drop = third\n")
    assert parse_container(d).config == {"lxc.cap.drop": "first\nsecond\nthird"}


def test_include_loop_is_an_error_naming_the_file(tmp_path: Path):
    a = write(tmp_path / "a.conf", "lxc.include = b.conf\n")
    write(tmp_path / "b.conf", "lxc.cap.drop = x\nlxc.include = a.conf\n")
    d = container(tmp_path, "web1", "lxc.include = ../a.conf\n")
    with pytest.raises(ParseError, match="include loop") as info:
        parse_container(d)
    assert info.value.path == tmp_path / "b.conf"
    assert info.value.line == 2
    assert str(a) in str(info.value)


def test_missing_include_is_an_error_naming_the_including_file_and_line(tmp_path: Path):
    d = container(tmp_path, "web1", "lxc.uts.name = web1\nlxc.include = nowhere.conf\n")
    with pytest.raises(ParseError, match=r"config:2: lxc.include: .*nowhere.conf does not exist"):
        parse_container(d)


# ---------------------------------------------------------------------------------------------
# networks


def test_lxc_net_keys_become_a_bridged_nic_device(tmp_path: Path):
    d = container(
        tmp_path,
        "web1",
        """
        lxc.net.0.type = veth
        lxc.net.0.link = br0
        lxc.net.0.flags = up
        lxc.net.0.hwaddr = 00:16:3e:12:34:56
        lxc.net.0.mtu = 1500
        lxc.net.0.ipv4.address = 10.0.0.5/24
        lxc.net.0.ipv4.gateway = 10.0.0.1
        lxc.net.0.ipv6.address = fd00::5/64
        lxc.net.0.ipv6.gateway = fd00::1
        lxc.net.0.veth.pair = vethweb1
        """,
    )
    info = parse_container(d)
    assert info.devices == {
        "eth0": {
            "type": "nic",
            "nictype": "bridged",
            "parent": "br0",
            "hwaddr": "00:16:3e:12:34:56",
            "mtu": "1500",
            "ipv4.address": "10.0.0.5/24",
            "ipv4.gateway": "10.0.0.1",
            "ipv6.address": "fd00::5/64",
            "ipv6.gateway": "fd00::1",
            "veth.pair": "vethweb1",
        }
    }
    assert not any(key.startswith("lxc.net") for key in info.config)


def test_lxc_net_name_names_the_device_and_the_index_names_the_rest(tmp_path: Path):
    d = container(
        tmp_path,
        "web1",
        """
        lxc.net.0.type = veth
        lxc.net.0.link = br0
        lxc.net.0.name = lan
        lxc.net.3.type = veth
        lxc.net.3.link = br1
        """,
    )
    devices = parse_container(d).devices
    assert set(devices) == {"lan", "eth3"}
    assert devices["lan"]["name"] == "lan"


@pytest.mark.parametrize(
    ("lines", "nictype"),
    [
        (["type = veth"], "p2p"),
        (["type = veth", "link = br0"], "bridged"),
        (["type = macvlan", "link = eth0", "macvlan.mode = bridge"], "macvlan"),
        (["type = phys", "link = enp3s0"], "physical"),
        (["type = vlan", "link = eth0", "vlan.id = 10"], "vlan"),
    ],
)
def test_lxc_net_type_maps_to_nictype(tmp_path: Path, lines: list[str], nictype: str):
    d = container(tmp_path, "web1", "".join(f"lxc.net.0.{line}\n" for line in lines))
    assert parse_container(d).devices["eth0"]["nictype"] == nictype


@pytest.mark.parametrize("kind", ["empty", "none"])
def test_empty_or_none_interface_yields_no_device(tmp_path: Path, kind: str):
    d = container(tmp_path, "web1", f"lxc.net.0.type = {kind}\nlxc.net.0.flags = up\n")
    assert parse_container(d).devices == {}


def test_repeated_addresses_are_joined_and_other_nic_keys_keep_the_last(tmp_path: Path):
    d = container(
        tmp_path,
        "web1",
        """
        lxc.net.0.type = veth
        lxc.net.0.link = br0
        lxc.net.0.link = br1
        lxc.net.0.ipv4.address = 10.0.0.5/24
        lxc.net.0.ipv4.address = 10.0.1.5/24
        """,
    )
    nic = parse_container(d).devices["eth0"]
    assert nic["parent"] == "br1"
    assert nic["ipv4.address"] == "10.0.0.5/24\n10.0.1.5/24"


def test_legacy_network_type_starts_a_new_interface(tmp_path: Path):
    d = container(
        tmp_path,
        "web1",
        """
        lxc.network.type = veth
        lxc.network.link = br0
        lxc.network.flags = up
        lxc.network.ipv4 = 10.0.0.5/24
        lxc.network.ipv4_gateway = 10.0.0.1
        lxc.network.type = veth
        lxc.network.link = br2
        lxc.network.ipv6 = fd00::5/64
        lxc.network.name = eth7
        """,
    )
    assert parse_container(d).devices == {
        "eth0": {
            "type": "nic",
            "nictype": "bridged",
            "parent": "br0",
            "ipv4.address": "10.0.0.5/24",
            "ipv4.gateway": "10.0.0.1",
        },
        "eth7": {
            "type": "nic",
            "nictype": "bridged",
            "parent": "br2",
            "ipv6.address": "fd00::5/64",
            "name": "eth7",
        },
    }


def test_legacy_network_key_before_any_type_is_an_error(tmp_path: Path):
    d = container(tmp_path, "web1", "lxc.network.link = br0\n")
    with pytest.raises(
        ParseError, match=r"config:1: an lxc.network key comes before any lxc.network.type"
    ):
        parse_container(d)


def test_interface_without_a_type_is_an_error_naming_its_first_line(tmp_path: Path):
    d = container(tmp_path, "web1", "lxc.uts.name = web1\nlxc.net.0.link = br0\n")
    with pytest.raises(ParseError, match=r"config:2: lxc.net.0 has no type"):
        parse_container(d)


def test_nic_key_that_is_not_a_device_key_is_an_error_naming_the_line(tmp_path: Path):
    d = container(tmp_path, "web1", "lxc.net.0.type = veth\nlxc.net.0.bad key = x\n")
    with pytest.raises(ParseError, match=r"config:2: lxc.net.0 key must be words"):
        parse_container(d)


def test_two_interfaces_with_the_same_name_are_an_error(tmp_path: Path):
    d = container(
        tmp_path,
        "web1",
        """
        lxc.net.0.type = veth
        lxc.net.0.name = eth1
        lxc.net.1.type = veth
        """,
    )
    with pytest.raises(ParseError, match=r"config:3: lxc.net.1 has the device name of lxc.net.0"):
        parse_container(d)


# ---------------------------------------------------------------------------------------------
# mounts, environment, architecture


def test_mount_entries_become_disk_devices_readonly_when_ro(tmp_path: Path):
    d = container(
        tmp_path,
        "web1",
        """
        lxc.mount.entry = /srv/data srv/data none bind,ro,create=dir 0 0
        lxc.mount.entry = tmpfs /tmp tmpfs defaults
        lxc.mount.entry = /dev/sdb1 mnt/backup ext4
        """,
    )
    assert parse_container(d).devices == {
        "srv/data": {
            "type": "disk",
            "source": "/srv/data",
            "path": "/srv/data",
            "readonly": "true",
        },
        "tmp": {"type": "disk", "source": "tmpfs", "path": "/tmp"},
        "mnt/backup": {"type": "disk", "source": "/dev/sdb1", "path": "/mnt/backup"},
    }


def test_mount_entries_on_the_same_path_get_numbered_device_names(tmp_path: Path):
    d = container(
        tmp_path,
        "web1",
        """
        lxc.mount.entry = /a srv none bind 0 0
        lxc.mount.entry = /b srv none bind 0 0
        lxc.mount.entry = /c /srv none bind 0 0
        """,
    )
    devices = parse_container(d).devices
    assert {name: dev["source"] for name, dev in devices.items()} == {
        "srv": "/a",
        "srv-2": "/b",
        "srv-3": "/c",
    }


def test_numbered_mount_names_skip_taken_names_and_shorten_for_longer_numbers(tmp_path: Path):
    long_dest = "x" * 70
    lines = ["lxc.net.0.type = veth", "lxc.net.0.name = srv-2"]
    lines += [f"lxc.mount.entry = /s{n} srv none bind 0 0" for n in range(3)]
    lines += ["lxc.mount.entry = /t srv-3 none bind 0 0"]  # srv-3 is taken already
    lines += [f"lxc.mount.entry = /x{n} {long_dest} none bind 0 0" for n in range(11)]
    devices = parse_container(container(tmp_path, "web1", "\n".join(lines) + "\n")).devices
    assert [name for name in devices if name.startswith("srv")] == [
        "srv-2",  # the nic
        "srv",
        "srv-3",
        "srv-4",
        "srv-3-2",
    ]
    long_names = [name for name in devices if name.startswith("x")]
    assert long_names[0] == "x" * 63
    assert long_names[1:9] == ["x" * 61 + f"-{n}" for n in range(2, 10)]
    assert long_names[9:] == ["x" * 60 + "-10", "x" * 60 + "-11"]
    assert all(len(name) <= 63 for name in long_names)


def test_mount_device_name_replaces_odd_characters_and_a_leading_dot(tmp_path: Path):
    long_dest = "x" * 80
    d = container(
        tmp_path,
        "web1",
        f"""
        lxc.mount.entry = /a home/me/.ssh none bind 0 0
        lxc.mount.entry = /b .cache none bind 0 0
        lxc.mount.entry = /c my\\040files none bind 0 0
        lxc.mount.entry = /d {long_dest} none bind 0 0
        lxc.mount.entry = /e {long_dest}y none bind 0 0
        """,
    )
    devices = parse_container(d).devices
    assert {name: dev["path"] for name, dev in devices.items()} == {
        "home/me/.ssh": "/home/me/.ssh",
        "_cache": "/.cache",
        "my_files": "/my files",
        "x" * 63: f"/{long_dest}",
        "x" * 61 + "-2": f"/{long_dest}y",
    }


def test_mount_entry_with_fewer_than_three_fields_is_an_error(tmp_path: Path):
    d = container(tmp_path, "web1", "lxc.uts.name = web1\nlxc.mount.entry = /srv/data srv\n")
    with pytest.raises(ParseError, match=r"config:2: lxc.mount.entry needs"):
        parse_container(d)


def test_environment_lines_become_environment_config_keys(tmp_path: Path):
    d = container(
        tmp_path,
        "web1",
        """
        lxc.environment = TZ=Europe/Paris
        lxc.environment = OPTS=a=b c
        lxc.environment = TZ=UTC
        """,
    )
    assert parse_container(d).config == {"environment.TZ": "UTC", "environment.OPTS": "a=b c"}


def test_environment_without_a_value_is_an_error(tmp_path: Path):
    d = container(tmp_path, "web1", "lxc.environment = PATH\n")
    with pytest.raises(ParseError, match=r"config:1: lxc.environment needs NAME=VALUE"):
        parse_container(d)


@pytest.mark.parametrize(
    ("lxc_arch", "stored"),
    [
        ("amd64", "x86_64"),
        ("x86_64", "x86_64"),
        ("arm64", "aarch64"),
        ("aarch64", "aarch64"),
        ("i386", "i686"),
        ("i686", "i686"),
        ("armhf", "armv7l"),
        ("armv7l", "armv7l"),
        ("linux64", "x86_64"),
        ("ppc64el", "ppc64le"),
    ],
)
def test_arch_aliases_map_to_the_stored_architecture(tmp_path: Path, lxc_arch: str, stored: str):
    d = container(tmp_path, "web1", f"lxc.arch = {lxc_arch}\n")
    info = parse_container(d)
    assert info.architecture == stored
    assert "lxc.arch" not in info.config


def test_missing_arch_defaults_to_x86_64(tmp_path: Path):
    assert parse_container(container(tmp_path, "web1", "lxc.uts.name = web1\n")).architecture == (
        "x86_64"
    )


def test_unknown_arch_is_an_error_naming_the_line(tmp_path: Path):
    d = container(tmp_path, "web1", "lxc.arch = vax\n")
    with pytest.raises(ParseError, match=r"config:1: lxc.arch is not one of"):
        parse_container(d)


# ---------------------------------------------------------------------------------------------
# the container itself


def test_container_is_named_after_its_directory(tmp_path: Path):
    assert parse_container(container(tmp_path, "web-1", "lxc.uts.name = other\n")).name == "web-1"


def test_bad_container_name_raises_validation_error(tmp_path: Path):
    d = container(tmp_path, "web_1", "lxc.uts.name = web1\n")
    with pytest.raises(ValidationError, match="container name: 'web_1'"):
        parse_container(d)


def test_directory_without_config_raises_parse_error_naming_the_file(tmp_path: Path):
    (tmp_path / "web1").mkdir()
    with pytest.raises(ParseError, match="config: does not exist") as info:
        parse_container(tmp_path / "web1")
    assert info.value.path == tmp_path / "web1" / "config"


# ---------------------------------------------------------------------------------------------
# importing into the store (every backend)


WEB = """
lxc.arch = amd64
lxc.uts.name = {name}
lxc.net.0.type = veth
lxc.net.0.link = {bridge}
lxc.net.0.flags = up
lxc.mount.entry = /srv/{name} srv none bind,ro 0 0
lxc.environment = TZ=UTC
"""


def lxc_dir(root: Path, names: dict[str, str]) -> Path:
    for name, bridge in names.items():
        container(root, name, WEB.format(name=name, bridge=bridge))
    return root


def test_import_creates_every_container_with_its_devices_and_config(store, tmp_path: Path):
    root = lxc_dir(tmp_path / "lxc", {"web1": "br0", "web2": "br1"})
    report = import_lxc(store, root)
    assert report == ImportReport(created=["web1", "web2"])
    assert report.ok
    web1 = store.containers.get("web1")
    assert web1.architecture == "x86_64"
    assert web1.config == {"lxc.uts.name": "web1", "environment.TZ": "UTC"}
    assert web1.devices == {
        "eth0": {"type": "nic", "nictype": "bridged", "parent": "br0"},
        "srv": {"type": "disk", "source": "/srv/web1", "path": "/srv", "readonly": "true"},
    }


def test_using_network_finds_the_imported_containers(store, tmp_path: Path):
    root = lxc_dir(tmp_path / "lxc", {"web1": "br0", "web2": "br1", "web3": "br0"})
    import_lxc(store, root)
    assert store.containers.using_network("br0") == ["web1", "web3"]
    assert store.containers.using_network("br1") == ["web2"]


def test_second_run_reports_unchanged_and_does_not_duplicate(store, tmp_path: Path):
    root = lxc_dir(tmp_path / "lxc", {"web1": "br0", "web2": "br1"})
    import_lxc(store, root)
    before = store.containers.list()
    report = import_lxc(store, root)
    assert report == ImportReport(unchanged=["web1", "web2"])
    assert store.containers.names() == ["web1", "web2"]
    assert store.containers.list() == before


def test_changed_file_is_updated_on_the_second_run(store, tmp_path: Path):
    root = lxc_dir(tmp_path / "lxc", {"web1": "br0", "web2": "br1"})
    import_lxc(store, root)
    container(root, "web2", WEB.format(name="web2", bridge="br0") + "lxc.start.auto = 1\n")
    report = import_lxc(store, root)
    assert report == ImportReport(updated=["web2"], unchanged=["web1"])
    web2 = store.containers.get("web2")
    assert web2.devices["eth0"]["parent"] == "br0"
    assert web2.config["lxc.start.auto"] == "1"
    assert store.containers.using_network("br0") == ["web1", "web2"]


def test_reimport_keeps_the_profiles_of_a_stored_container(store, tmp_path: Path):
    root = lxc_dir(tmp_path / "lxc", {"web1": "br0"})
    import_lxc(store, root)
    store.profiles.create("base", config={"limits.cpu": "2"})
    store.containers.update("web1", profiles=["base"])
    container(root, "web1", WEB.format(name="web1", bridge="br1"))
    assert import_lxc(store, root) == ImportReport(updated=["web1"])
    web1 = store.containers.get("web1")
    assert web1.profiles == ["base"]
    assert web1.devices["eth0"]["parent"] == "br1"


def test_one_bad_container_does_not_stop_the_others_and_leaves_nothing_in_the_store(
    store, tmp_path: Path
):
    root = lxc_dir(tmp_path / "lxc", {"alpha": "br0", "zulu": "br0"})
    container(root, "broken", WEB.format(name="broken", bridge="br0") + "not a setting\n")
    container(root, "bad_name", WEB.format(name="x", bridge="br0"))
    (root / "empty").mkdir()
    (root / "notes.txt").write_text("a plain file in DIR is ignored\n")
    report = import_lxc(store, root)
    assert report.created == ["alpha", "zulu"]
    assert not report.ok
    assert set(report.failed) == {"broken", "bad_name", "empty"}
    broken_config = root / "broken" / "config"
    assert report.failed["broken"].startswith(f"{broken_config}:8: expected 'key = value'")
    assert str(root / "bad_name") in report.failed["bad_name"]
    assert str(root / "empty" / "config") in report.failed["empty"]
    assert store.containers.names() == ["alpha", "zulu"]


def test_a_database_error_in_one_container_rolls_back_that_container_alone(
    store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    root = lxc_dir(tmp_path / "lxc", {"alpha": "br0", "mid": "br0", "zulu": "br0"})
    real_save = store.containers.save

    def save_then_fail(info):
        outcome = real_save(info)  # the container's rows are written...
        if info.name == "mid":  # ...then the database refuses a duplicate name
            with store.transaction() as conn:
                conn.execute(
                    insert(T["containers"]).values(
                        name="mid", architecture=2, node_id=store.node_id
                    )
                )
        return outcome

    monkeypatch.setattr(store.containers, "save", save_then_fail)
    report = import_lxc(store, root)
    assert report.created == ["alpha", "zulu"]
    assert "unique" in report.failed["mid"].lower()  # the database said why
    assert str(root / "mid" / "config") in report.failed["mid"]
    assert store.containers.names() == ["alpha", "zulu"]
    assert store.containers.using_network("br0") == ["alpha", "zulu"]


def test_progress_is_called_once_per_container_directory(store, tmp_path: Path):
    root = lxc_dir(tmp_path / "lxc", {"web1": "br0", "web2": "br1"})
    (root / "empty").mkdir()
    calls: list[tuple[int, int, str]] = []
    import_lxc(store, root, progress=lambda done, total, name: calls.append((done, total, name)))
    assert calls == [(1, 3, "empty"), (2, 3, "web1"), (3, 3, "web2")]


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_directory_that_is_missing_or_not_a_directory_raises_validation_error(
    tmp_path: Path, kind: str
):
    target = tmp_path / "lxc"
    if kind == "file":
        target.write_text("")
    with open_store(":memory:") as store:
        with pytest.raises(ValidationError) as info:
            import_lxc(store, target)
        assert info.value.field == "directory"
        assert store.containers.names() == []
