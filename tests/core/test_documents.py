"""TOML documents: export, validation of a whole file, all-or-nothing apply, round trips."""

from __future__ import annotations

import hashlib
import string
import tomllib
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import DocumentError, ImageInfo, open_store
from core.cli import main
from core.documents import apply_text, dump, export, parse
from core.store import ContainerInfo, ProfileInfo
from tests.helpers import make_certificate, nic

MULTI = """
[config]
"core.https_address" = "[::]:8443"

[[profiles]]
name = "default"
config = { "limits.cpu" = 2 }
devices.eth0 = { type = "nic", network = "br0" }

[[containers]]
name = "web1"
profiles = ["default"]
config = { "user.owner" = "ops" }

[[containers]]
name = "web2"
architecture = "aarch64"
ephemeral = true
devices.data = { type = "disk", source = "/srv", path = "/data", readonly = true }
"""


def test_multi_resource_document_applies_in_dependency_order(store):
    results = apply_text(store, MULTI)
    assert [(r.kind, r.name, r.outcome) for r in results] == [
        ("config", "server", "updated"),
        ("profile", "default", "created"),
        ("container", "web1", "created"),
        ("container", "web2", "created"),
    ]
    assert store.containers.using_network("br0") == ["web1"]
    assert store.containers.get("web2").devices["data"]["readonly"] == "true"
    assert store.config.get("core.https_address") == "[::]:8443"


def test_applying_the_same_document_twice_changes_nothing(store):
    apply_text(store, MULTI)
    assert {r.outcome for r in apply_text(store, MULTI)} == {"unchanged"}


def test_apply_replaces_config_and_devices_whole(store):
    store.containers.create(
        "web1", config={"user.a": "1", "user.b": "2"}, devices={"eth0": nic("br0")}
    )
    apply_text(store, 'kind = "container"\nname = "web1"\nconfig = { "user.a" = "1" }\n')
    web1 = store.containers.get("web1")
    assert (web1.config, web1.devices) == ({"user.a": "1"}, {})


def test_invalid_document_lists_every_problem_and_applies_nothing(store):
    text = """
[[profiles]]
name = "ok-profile"

[[containers]]
name = "bad name"

[[containers]]
name = "web2"
color = "blue"

[[containers]]
name = "web3"
devices.eth0 = { type = "router" }
"""
    with pytest.raises(DocumentError) as err:
        apply_text(store, text, "edit.toml")
    assert len(err.value.problems) == 3
    message = str(err.value)
    assert "edit.toml is invalid" in message
    assert "containers[0]" in message and "'bad name'" in message
    assert "containers[1].color: is not known in a container" in message
    assert "containers[2]" in message and "'router'" in message
    assert store.profiles.names() == []


def test_a_missing_profile_rolls_back_the_whole_document(store):
    text = '[[profiles]]\nname = "p1"\n\n[[containers]]\nname = "c1"\nprofiles = ["p1", "ghost"]\n'
    with pytest.raises(DocumentError, match="'ghost' is not a profile of the store"):
        apply_text(store, text)
    assert store.profiles.names() == [] and store.containers.names() == []


def test_a_failure_while_writing_rolls_back_everything(store):
    # Valid on its own, but the alias is taken by an image already in the store.
    store.images.create(ImageInfo(fingerprint="aa" * 32, filename="a", size=1, architecture="x86_64",
                                  aliases={"alpine": ""}))  # fmt: skip
    text = f"""
[[profiles]]
name = "p1"

[[images]]
fingerprint = "{"bb" * 32}"
filename = "b.tar"
size = 2
aliases = {{ alpine = "" }}
"""
    with pytest.raises(Exception, match="alpine"):
        apply_text(store, text)
    assert store.profiles.names() == []
    assert store.images.fingerprints() == ["aa" * 32]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = [", "not valid TOML"),
        ('kind = "volume"\nname = "x"', "'volume' is not one of"),
        ("[[volumes]]\nname = 'x'", "unknown section"),
        ("", "holds no resource"),
        ('[[containers]]\nname = "a"\n[[containers]]\nname = "a"', "appears more than once"),
        ('kind = "image"\nfingerprint = "zz"', "image.filename: required"),
    ],
)
def test_malformed_documents_say_what_is_wrong(text, message):
    with pytest.raises(DocumentError, match=message):
        parse(text)


def test_export_has_a_commented_header_and_parses_back(store):
    store.profiles.create("web", description="web [b]tier[/b]", devices={"eth0": nic("br0")})
    text = export(store, "profile", "web")
    assert text.startswith("# nodekeeper profile 'web'\n")
    assert tomllib.loads(text)["description"] == "web [b]tier[/b]"
    assert parse(text) == [store.profiles.get("web")]


def test_image_and_certificate_documents_round_trip(tmp_path):
    pem, _ = make_certificate("ops")
    with open_store(tmp_path / "a.db") as a, open_store(tmp_path / "b.db") as b:
        a.images.create(ImageInfo(fingerprint="ab" * 32, filename="x.tar", size=5, architecture="x86_64",
                                  creation_date=datetime(2024, 5, 1, tzinfo=UTC), aliases={"x": "desc"},
                                  properties={"os": "alpine"}))  # fmt: skip
        a.certificates.add(pem)
        for kind, name in (("image", "x"), ("certificate", "ops")):
            apply_text(b, export(a, kind, name))
            assert export(b, kind, name) == export(a, kind, name)


# -- property: export then apply on a fresh store gives the same document

keys = st.lists(st.text(string.ascii_lowercase + string.digits + "_-", min_size=1, max_size=8),
                min_size=2, max_size=3).map(".".join)  # fmt: skip
values = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=20)
hostnames = st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True)
device_names = st.from_regex(r"[a-z0-9][a-z0-9._:/-]{0,15}", fullmatch=True)
devices = st.dictionaries(
    device_names,
    st.builds(
        lambda t, extra: {"type": t, **extra},
        st.sampled_from(["nic", "disk", "proxy", "none"]),
        st.dictionaries(
            st.sampled_from(["network", "parent", "path", "source", "ipv4.address"]), values
        ),
    ),
    max_size=3,
)
profiles_st = st.builds(
    ProfileInfo, name=hostnames, description=values, config=st.dictionaries(keys, values, max_size=4),
    devices=devices,
)  # fmt: skip
containers_st = st.builds(
    ContainerInfo,
    name=hostnames,
    architecture=st.sampled_from(["x86_64", "aarch64", "riscv64"]),
    power_state=st.sampled_from(["stopped", "running"]),
    ephemeral=st.booleans(),
    config=st.dictionaries(keys, values, max_size=5),
    devices=devices,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(profile=profiles_st, container=containers_st)
def test_export_apply_round_trip(profile, container):
    container.profiles = [profile.name] if profile.name != container.name else []
    with open_store(":memory:") as first, open_store(":memory:") as second:
        apply_text(first, dump(profile) + "\n")
        apply_text(first, dump(container))
        exported = [
            export(first, "profile", profile.name),
            export(first, "container", container.name),
        ]
        for text in exported:
            apply_text(second, text)
        assert [export(second, "profile", profile.name),
                export(second, "container", container.name)] == exported  # fmt: skip
        assert second.containers.get(container.name) == first.containers.get(container.name)
        assert first.containers.get(container.name).config == container.config


# -- services (seed 000)

SERVICES = """
[[services]]
id = "svc-b"
service = "aos_svc-b.service"
ttl = 30
ul_limit = 1000000
dl_limit = 2000000

[[services]]
id = "svc-a"
version = 2
state = "running"
start_at = 2026-11-20T08:00:00Z
"""


def test_services_array_applies_after_the_container_domain_in_one_transaction(store):
    results = apply_text(store, SERVICES + MULTI)  # services first in the file, applied last
    assert [(r.kind, r.name, r.outcome) for r in results] == [
        ("config", "server", "updated"),
        ("profile", "default", "created"),
        ("container", "web1", "created"),
        ("container", "web2", "created"),
        ("service", "svc-b", "created"),
        ("service", "svc-a", "created"),
    ]
    assert store.services.get("svc-b").ul_limit == 1_000_000
    a = store.services.get("svc-a")
    assert (a.version, a.state, a.start_at) == (2, "running", datetime(2026, 11, 20, 8, tzinfo=UTC))


def test_an_invalid_service_keeps_the_rest_of_the_document_from_being_applied(store):
    store.services.create("svc-b", service="aos_svc-b.service")
    with pytest.raises(DocumentError, match=r"services\[0\].ttl: '30' must be"):
        apply_text(store, MULTI + '[[services]]\nid = "svc-c"\nttl = "30"\n')
    assert store.profiles.names() == [] and store.containers.names() == []
    assert store.services.ids() == ["svc-b"] and store.config.all() == {}


def test_service_document_round_trips_through_export_and_apply(tmp_path):
    with open_store(tmp_path / "a.db") as a, open_store(tmp_path / "b.db") as b:
        a.services.create(
            "svc-1", version=4, path="/srv/svc-1", service="aos_svc-1.service", user="aos",
            permissions='{"*": "rw"}', state="failed", status="limit_exceeded",
            start_at=datetime(2026, 11, 20, 8, 0, 1, 5, tzinfo=UTC), main_pid=99, ttl=7,
            alert_rules='{"cpu": 90}\n# "quoted" and \\ backslash', ul_limit=0, dl_limit=2**63 - 1,
            storage_limit=10, state_limit=20,
        )  # fmt: skip
        text = export(a, "service", "svc-1")
        assert text.startswith("# nodekeeper service 'svc-1'\n")
        assert tomllib.loads(text)["state"] == "failed"  # by name, not number
        assert [(r.kind, r.outcome) for r in apply_text(b, text)] == [("service", "created")]
        assert export(b, "service", "svc-1") == text
        assert b.services.get("svc-1") == a.services.get("svc-1")
        assert [r.outcome for r in apply_text(b, text)] == ["unchanged"]


def test_runtime_fields_left_out_of_a_service_document_keep_their_values(store):
    started = datetime(2026, 11, 20, tzinfo=UTC)
    store.services.create(
        "svc", state="running", status="limit_exceeded", start_at=started, main_pid=7, ttl=3,
        ul_limit=5,
    )  # fmt: skip
    apply_text(store, 'kind = "service"\nid = "svc"\nversion = 2\n')
    svc = store.services.get("svc")
    assert (svc.version, svc.ttl, svc.ul_limit) == (2, None, None)  # configuration: replaced
    assert (svc.state, svc.status, svc.start_at, svc.main_pid) == (
        "running", "limit_exceeded", started, 7,
    )  # fmt: skip
    apply_text(store, 'kind = "service"\nid = "svc"\nversion = 2\nstatus = "ok"\n')
    assert store.services.get("svc").status == "ok"  # given: written


def test_an_invalid_services_document_lists_every_problem_and_applies_nothing(store):
    text = """
[[services]]
id = "has space"

[[services]]
id = "neg"
ttl = -1

[[services]]
id = "naive"
start_at = 2026-11-20T08:00:00

[[services]]
id = "odd"
state = "sleeping"

[[services]]
id = "typo"
ul_limt = 5

[[services]]
ttl = 3

[[services]]
id = "fine"
"""
    with pytest.raises(DocumentError) as err:
        apply_text(store, text, "svc.toml")
    problems = err.value.problems
    assert len(problems) == 6
    assert problems[0].startswith("services[0].id: 'has space'")
    assert "services[1].ttl: -1 must not be negative" in problems
    assert problems[2].startswith("services[2].start_at:")
    assert "'sleeping' is not one of" in problems[3]
    assert problems[4].startswith("services[4].ul_limt: is not known in a service (known: ")
    assert problems[5] == "services[5].id: required"
    assert store.services.ids() == []


def test_a_service_listed_twice_is_refused(store):
    with pytest.raises(DocumentError, match="service 'x' appears more than once"):
        apply_text(store, '[[services]]\nid = "x"\n[[services]]\nid = "x"\n')


def test_carriage_returns_survive_export_and_apply(store):
    store.profiles.create("crlf", description="line one\r\nline two\rthree")
    text = export(store, "profile", "crlf")
    store.profiles.update("crlf", description="changed")
    apply_text(store, text)
    assert store.profiles.get("crlf").description == "line one\r\nline two\rthree"


def test_an_error_found_while_writing_names_the_resource(store):
    store.images.create(ImageInfo(fingerprint="aa" * 32, filename="a", size=1, architecture="x86_64",
                                  aliases={"alpine": ""}))  # fmt: skip
    text = f'kind = "image"\nfingerprint = "{"bb" * 32}"\nfilename = "b"\nsize = 1\naliases = {{ alpine = "" }}\n'
    with pytest.raises(
        DocumentError, match=f"image '{'bb' * 32}': image alias 'alpine' already exists"
    ):
        apply_text(store, text, "img.toml")


# -- every problem in one run, each at its place; nothing changed


MANY_PROBLEMS = """
[[profiles]]
name = "default"

[[containers]]
name = "dup1"

[[containers]]
name = "dup1"

[[containers]]
name = "c2"
architecture = "sparc"
power_state = "flying"

[[containers]]
name = "c3"
profiles = ["default", "ghost"]

[[profiles]]
name = "bad profile"

[[users]]
claims = ["ops"]
service_id = "nowhere"
"""


def test_apply_lists_every_problem_with_its_place_and_changes_nothing(store):
    store.containers.create("keep")
    before = export(store, "container", "keep")
    with pytest.raises(DocumentError) as err:
        apply_text(store, MANY_PROBLEMS, "many.toml")
    assert err.value.problems == [
        "profiles[1].name: 'bad profile' may contain only letters, digits and '-'",
        "container 'dup1' appears more than once",
        "containers[2].architecture: 'sparc' is not one of: i686, x86_64, armv7l, aarch64, ppc, "
        "ppc64, ppc64le, s390x, mips, mips64, riscv32, riscv64",
        "containers[2].power_state: 'flying' is not one of: stopped, running",
        "containers[3].profiles: 'ghost' is not a profile of the store or of this document",
        "users[0].service_id: 'nowhere' is not a service of the store or of this document",
    ]
    assert store.containers.names() == ["keep"] and store.profiles.names() == []
    assert export(store, "container", "keep") == before


def test_a_broken_resource_has_its_references_checked_too_in_document_order(store):
    store.services.create("svc1")
    text = """
[[containers]]
name = "okname"
profiles = ["nosuch"]

[[containers]]
name = "bad name"
profiles = ["nosuch2"]

[[users]]
claims = []
service_id = "svc1"
"""
    with pytest.raises(DocumentError) as err:
        apply_text(store, text)
    assert err.value.problems == [
        "containers[0].profiles: 'nosuch' is not a profile of the store or of this document",
        "containers[1].name: 'bad name' may contain only letters, digits and '-'",
        "containers[1].profiles: 'nosuch2' is not a profile of the store or of this document",
        "users[0].claims: [] must name at least one claim",
    ]
    assert store.containers.names() == []


def test_a_profile_named_in_the_document_counts_even_when_it_is_broken(store):
    # Its own problem is said; the container naming it is not told it does not exist.
    text = '[[profiles]]\nname = "web"\ndescription = 5\n\n[[containers]]\nname = "c1"\nprofiles = ["web"]\n'
    with pytest.raises(DocumentError) as err:
        apply_text(store, text)
    assert err.value.problems == ["profiles[0].description: 5 must be a string"]


def test_every_broken_field_of_every_kind_is_one_place_then_its_rule(store):
    pem, der = make_certificate()
    text = f"""
[config]
"bogus.key" = "1"
"collector.interval" = "-3"

[[profiles]]
name = "p1"
devices.eth0 = {{ type = "nick" }}
config."limits cpu" = "1"

[[images]]
fingerprint = "{"ab" * 32}"
size = -1
public = "maybe"
colour = "red"

[[images]]
fingerprint = "zz"
filename = "a/b"
size = 1
aliases = {{ ".hidden" = "" }}

[[certificates]]
certificate = "not a certificate"
type = "robot"

[[certificates]]
certificate = \"\"\"{pem}\"\"\"
fingerprint = "{"00" * 32}"
type = "robot"

[[users]]
claims = []
service_id = "has space"
storage_folder = 5
state_checksum = "zz"
"""
    with pytest.raises(DocumentError) as err:
        apply_text(store, text)
    problems = err.value.problems
    assert problems[0].startswith("config.bogus.key: is not a known key: nodekeeper's are ")
    assert problems[1:] == [
        "config.collector.interval: '-3' must be a number of seconds from 0.1 to 86400",
        "profiles[0].config: 'limits cpu' must be dotted words such as 'limits.cpu' "
        "(letters, digits, _ - / :)",
        "profiles[0].devices.eth0.type: 'nick' is not one of: none, nic, disk, unix-char, "
        "unix-block, usb, gpu, infiniband, proxy, unix-hotplug, tpm, pci",
        "images[0].colour: is not known in an image (known: aliases, architecture, cached, "
        "creation_date, expiry_date, filename, fingerprint, last_use_date, properties, public, "
        "size, upload_date)",
        "images[0].filename: required",
        "images[0].size: -1 must be a whole number of bytes >= 0",
        "images[0].public: 'maybe' must be true or false",
        "images[1].fingerprint: 'zz' must be 64 hexadecimal digits (a sha256)",
        "images[1].filename: 'a/b' must be a file name without '/'",
        "images[1].aliases: '.hidden' must not start with '.'",
        "certificates[0].certificate: 'not a certificate' is not a PEM certificate "
        "(BEGIN CERTIFICATE)",
        "certificates[0].type: 'robot' is not one of: client, server, metrics",
        f"certificates[1].fingerprint: '{'00' * 32}' does not match the certificate (its sha256 "
        f"is {hashlib.sha256(der).hexdigest()})",
        "certificates[1].type: 'robot' is not one of: client, server, metrics",
        "users[0].claims: [] must name at least one claim",
        "users[0].service_id: 'has space' must not contain whitespace or control characters (' ')",
        "users[0].storage_folder: 5 must be a string",
        "users[0].state_checksum: 'zz' must be hexadecimal digits (a sha256), or empty",
        "users[0].service_id: 'has space' is not a service of the store or of this document",
    ]
    assert "None" not in "\n".join(problems) and " a image" not in "\n".join(problems)
    assert store.config.all() == {} and store.profiles.names() == []


# -- limits: too deep, too large, too long


@pytest.fixture(params=["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A database the CLI opens in the test's process, on each server backend."""
    if request.param == "sqlite-file":
        return str(tmp_path / "nk.db")
    return request.getfixturevalue("pg_url")


def nested(depth: int) -> str:
    return "a = " + "[" * depth + "]" * depth + "\n"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (nested(500), "nested more than 32 levels deep"),  # deeper than tomllib can recurse
        (nested(40), "a[0][0][0]"),  # parses; still refused at the stated limit
        ("[[containers]]\nname = 'c1'\nconfig.'user.x' = '" + "x" * (1024 * 1024 + 1) + "'\n",
         "containers[1].config.user.x: a string of 1048577 characters is longer than the limit "
         "of 1 MiB"),
        ("# " + "x" * (16 * 1024 * 1024) + "\n", "larger than the limit of 16 MiB"),
    ],
    ids=["500-deep", "40-deep", "long-value", "over-16-MiB"],
)  # fmt: skip
def test_a_document_over_a_limit_is_one_error_line_exit_1_and_changes_nothing(
    db_url, tmp_path, capsys, body, problem
):
    with open_store(db_url) as store:
        store.containers.create("keep")
    doc = tmp_path / "big.toml"
    doc.write_text('[[containers]]\nname = "new1"\n' + body)
    code = main(["apply", str(doc), "--db", db_url])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {doc} is invalid: ") and err.count("\n") == 1, err[:300]
    assert problem in err and "Traceback" not in err
    with open_store(db_url) as store:
        assert store.containers.names() == ["keep"]


def test_a_document_over_the_limit_on_stdin_is_refused_after_reading_the_limit(tmp_path):
    import subprocess
    import sys

    limit = 16 * 1024 * 1024
    done = subprocess.run(
        [sys.executable, "-m", "core.cli", "apply", "-", "--db", str(tmp_path / "nk.db")],
        input=b"#" * (limit + 10),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.decode() == "error: <stdin> is invalid: larger than the limit of 16 MiB\n"


def test_every_broken_field_of_a_service_is_listed(store):
    with pytest.raises(DocumentError) as err:
        apply_text(store, '[[services]]\nid = "svc"\nversion = -1\nttl = "30"\nstate = "dead"\n')
    assert [problem.split(":")[0] for problem in err.value.problems] == [
        "services[0].version", "services[0].state", "services[0].ttl",
    ]  # fmt: skip
    assert store.services.ids() == []
