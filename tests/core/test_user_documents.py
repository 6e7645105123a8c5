"""The document kind "user": a claim set bound to a service, exported, validated and applied
with the other kinds (after services), from Python and from the command line."""

from __future__ import annotations

import tomllib

import pytest

from core import DocumentError, NodekeeperError, NotFound, UserEntry, ValidationError, open_store
from core.cli import main
from core.documents import apply_text, dump, export, fetch, parse, parse_user

CHECKSUM = bytes(range(32))

SERVICE_AND_USERS = """
[[users]]
claims = ["ops", "admin", "ops"]
service_id = "svc-new"
storage_folder = "/var/aos/storage/ops"
state_checksum = "00ff"

[[users]]
claims = ["user1"]
service_id = "svc-old"

[[services]]
id = "svc-new"
service = "aos_svc-new.service"
"""


@pytest.fixture
def bound(store):
    store.services.create("svc1")
    store.users.bind(
        ["user1", "subject 2"], "svc1", storage_folder="/srv/1", state_checksum=CHECKSUM
    )
    return store


def test_export_writes_a_commented_user_document(bound):
    text = export(bound, "user", '["user1", "subject 2"]', "svc1")
    assert text.startswith(
        '# nodekeeper claim set ["subject 2","user1"] bound to service \'svc1\'\n'
        "# Apply with: nodekeeper apply FILE\n"
    )
    assert tomllib.loads(text) == {
        "kind": "user", "claims": ["subject 2", "user1"], "service_id": "svc1",
        "storage_folder": "/srv/1", "state_checksum": CHECKSUM.hex(),
    }  # fmt: skip


def test_export_apply_round_trip(tmp_path):
    with open_store(tmp_path / "a.db") as a, open_store(tmp_path / "b.db") as b:
        for s in (a, b):
            s.services.create("svc1")
        a.users.bind(["b", "a"], "svc1", storage_folder='odd "folder"\n', state_checksum=CHECKSUM)
        text = export(a, "user", '["a","b"]', "svc1")
        results = apply_text(b, text)
        assert [(r.kind, r.name, r.outcome) for r in results] == [
            ("user", '["a","b"] on svc1', "created")
        ]
        assert b.users.get(["a", "b"], "svc1") == a.users.get(["a", "b"], "svc1")
        assert export(b, "user", '["b","a"]', "svc1") == text
        assert [r.outcome for r in apply_text(b, text)] == ["unchanged"]


def test_apply_replaces_folder_and_checksum_whole(bound):
    text = export(bound, "user", '["subject 2","user1"]', "svc1")
    edited = "\n".join(line for line in text.splitlines() if "state_checksum" not in line)
    edited = edited.replace("/srv/1", "/srv/2")
    assert [r.outcome for r in apply_text(bound, edited)] == ["updated"]
    entry = bound.users.get(["user1", "subject 2"], "svc1")
    assert (entry.storage_folder, entry.state_checksum) == ("/srv/2", None)  # left out: unset


def test_users_apply_after_a_new_service_of_the_same_document(store):
    store.services.create("svc-old")
    results = apply_text(store, SERVICE_AND_USERS)  # users first in the file, applied last
    assert [(r.kind, r.name, r.outcome) for r in results] == [
        ("service", "svc-new", "created"),
        ("user", '["admin","ops"] on svc-new', "created"),
        ("user", '["user1"] on svc-old', "created"),
    ]
    entry = store.users.get(["admin", "ops"], "svc-new")
    assert entry == UserEntry(["admin", "ops"], "svc-new", "/var/aos/storage/ops", b"\x00\xff")


def test_a_user_of_a_missing_service_applies_nothing(store):
    with pytest.raises(DocumentError) as err:
        apply_text(store, SERVICE_AND_USERS, "users.toml")  # svc-old is not in the store
    assert err.value.problems == [
        "users[1].service_id: 'svc-old' is not a service of the store or of this document"
    ]
    assert store.services.ids() == [] and store.users.entries() == []


def test_an_invalid_users_document_lists_every_problem_and_applies_nothing(store):
    store.services.create("svc1")
    text = """
[[users]]
claims = "admin"
service_id = "svc1"

[[users]]
claims = []
service_id = "svc1"

[[users]]
claims = ["a"]
service_id = "has space"

[[users]]
claims = ["a"]
service_id = "svc1"
state_checksum = "zz"

[[users]]
claims = ["a"]
service_id = "svc1"
storage_folder = 5

[[users]]
claims = ["a"]
service_id = "svc1"
folder = "/srv"

[[users]]
service_id = "svc1"

[[users]]
claims = ["fine"]
service_id = "svc1"
"""
    with pytest.raises(DocumentError) as err:
        apply_text(store, text, "users.toml")
    assert err.value.source == "users.toml"
    assert err.value.problems == [
        "users[0].claims: 'admin' must be a list of strings, such as [\"user1\"]",
        "users[1].claims: [] must name at least one claim",
        "users[2].service_id: 'has space' must not contain whitespace or control characters (' ')",
        # Its references are checked too: a broken field does not hide them.
        "users[2].service_id: 'has space' is not a service of the store or of this document",
        "users[3].state_checksum: 'zz' must be hexadecimal digits (a sha256), or empty",
        "users[4].storage_folder: 5 must be a string",
        "users[5].folder: is not known in a user (known: claims, service_id, "
        "storage_folder, state_checksum)",
        "users[6].claims: required",
    ]
    assert store.users.entries() == []


def test_a_single_user_document_names_its_problems(store):
    with pytest.raises(DocumentError, match=r"user.state_checksum: 5 must be a string"):
        parse('kind = "user"\nclaims = ["a"]\nservice_id = "s"\nstate_checksum = 5\n')
    with pytest.raises(DocumentError, match=r"kind: 'users' is not one of: .*user"):
        parse('kind = "users"\n')


def test_the_same_binding_twice_is_refused_whatever_the_claim_order(store):
    store.services.create("s")
    text = '[[users]]\nclaims = ["a", "b"]\nservice_id = "s"\n'
    text += '[[users]]\nclaims = ["b", "a"]\nservice_id = "s"\n'
    with pytest.raises(DocumentError, match=r"user '\[\"a\",\"b\"\] on s' appears more than once"):
        apply_text(store, text)


def test_fetch_names_a_user_by_its_claims_json_and_service(bound):
    assert fetch(bound, "user", '["user1","subject 2"]', "svc1").storage_folder == "/srv/1"
    with pytest.raises(NodekeeperError, match="--service is required"):
        fetch(bound, "user", '["user1"]')
    with pytest.raises(
        NodekeeperError, match="which user. name it by its claim set as a JSON list"
    ):
        fetch(bound, "user", None, "svc1")
    with pytest.raises(ValidationError, match=r"claims: 'user1' is not a JSON list of strings"):
        fetch(bound, "user", "user1", "svc1")
    with pytest.raises(NotFound, match=r"claim set \[\"user1\"\] on service 'svc1' not found"):
        fetch(bound, "user", '["user1"]', "svc1")
    with pytest.raises(NotFound, match="service 'ghost' not found"):
        fetch(bound, "user", '["user1"]', "ghost")


def test_parse_user_keeps_the_claims_and_the_service(bound):
    text = dump(bound.users.get(["user1", "subject 2"], "svc1"))
    claims = ["user1", "subject 2"]
    assert parse_user(text, claims, "svc1").storage_folder == "/srv/1"
    moved = text.replace('service_id = "svc1"', 'service_id = "svc2"')
    with pytest.raises(DocumentError) as err:
        parse_user(moved.replace('"user1"', '"user9"'), claims, "svc1", "the binding")
    assert err.value.problems == [
        'claims: must stay ["subject 2","user1"]',
        "service_id: must stay 'svc1'",
    ]
    with pytest.raises(DocumentError, match="this document edits the user"):
        parse_user('[[services]]\nid = "x"\n', claims, "svc1")


# -- the command line


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "nk.db"
    with open_store(path) as store:
        store.services.create("svc1")
        store.users.bind(["ops", "admin"], "svc1", storage_folder="/srv/ops")
    return str(path)


def test_cli_export_then_apply_a_user(capsys, db, tmp_path):
    code, out, _ = run(capsys, "export", "user", '["ops","admin"]', "--service", "svc1", "--db", db)
    assert code == 0
    assert out.startswith('# nodekeeper claim set ["admin","ops"] bound to service \'svc1\'\n')
    doc = tmp_path / "user.toml"
    doc.write_text(out.replace("/srv/ops", "/srv/ops2") + 'state_checksum = "abcd"\n')
    code, out, _ = run(capsys, "apply", str(doc), "--db", db)
    assert (code, out) == (0, 'updated user ["admin","ops"] on svc1\n')
    with open_store(db) as store:
        entry = store.users.get(["admin", "ops"], "svc1")
        assert (entry.storage_folder, entry.state_checksum) == ("/srv/ops2", b"\xab\xcd")
    code, out, _ = run(capsys, "apply", str(doc), "--db", db)
    assert (code, out) == (0, 'unchanged user ["admin","ops"] on svc1\n')
    code, out, _ = run(
        capsys, "show", "user", '["admin","ops"]', "--service", "svc1", "--format", "json",
        "--db", db,
    )  # fmt: skip
    assert code == 0 and '"storage_folder": "/srv/ops2"' in out


def test_cli_apply_of_services_and_users_in_one_file(capsys, db, tmp_path):
    doc = tmp_path / "both.toml"
    doc.write_text(SERVICE_AND_USERS.replace("svc-old", "svc1"))
    code, out, _ = run(capsys, "apply", str(doc), "--db", db)
    assert (code, out.splitlines()) == (0, [
        "created service svc-new",
        'created user ["admin","ops"] on svc-new',
        'created user ["user1"] on svc1',
    ])  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "user", '["admin"]'], "--service ID is required: a user is named with the service"),
        (["export", "user", "--service", "svc1"], "which user? name it by its claim set as a JSON list"),
        (["export", "user", "admin", "--service", "svc1"],
         "claims: 'admin' is not a JSON list of strings"),
        (["export", "user", '["nobody"]', "--service", "svc1"],
         "claim set [\"nobody\"] on service 'svc1' not found"),
        (["export", "user", '["admin"]', "--service", "ghost"], "service 'ghost' not found"),
        (["export", "service", "svc1", "--service", "svc1"], "--service applies to users only"),
        (["show", "user", '["admin"]'], "such as nodekeeper show user"),
    ],
)  # fmt: skip
def test_cli_user_names_are_checked_with_clear_errors(capsys, db, argv, message):
    code, out, err = run(capsys, *argv, "--db", db)
    assert (code, out) == (1, "")
    assert err.startswith("error: ") and message in err, err


def test_cli_apply_of_an_invalid_user_exits_1_and_changes_nothing(capsys, db, tmp_path):
    doc = tmp_path / "bad.toml"
    doc.write_text('[[users]]\nclaims = ["ops", "admin"]\nservice_id = "svc1"\ncolour = 1\n')
    code, out, err = run(capsys, "apply", str(doc), "--db", db)
    assert (code, out) == (1, "")
    assert "users[0].colour: is not known in a user" in err
    with open_store(db) as store:
        assert store.users.get(["admin", "ops"], "svc1").storage_folder == "/srv/ops"
