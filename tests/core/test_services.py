"""Services and the claim sets bound to them (seed 000), on every backend: every operation,
every validation rule, canonical claim sets, time to live and the cascade to user rows."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core import (
    AlreadyExists,
    NotFound,
    ReadOnly,
    ServiceInfo,
    ServiceState,
    ServiceStatus,
    ValidationError,
    open_store,
)
from core.claims import canonical_claims, parse_claims
from core.models.services import Service, User
from core.store.services import state_checksum
from tests.helpers import store_config_unchecked

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def count(store, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    with store.reading() as conn:
        return conn.scalar(query)


def raw_service(store, service_id: str):
    with store.reading() as conn:
        return conn.execute(select(Service.__table__).where(Service.id == service_id)).one()


# -- services: create, read, update, delete


def test_create_then_get_returns_every_field(store):
    started = datetime(2026, 11, 20, 8, 0, 1, 250000, tzinfo=UTC)
    store.services.create(
        "svc-1",
        version=3,
        path="/var/aos/services/svc-1",
        service="aos_svc-1.service",
        user="aos_svc1",
        permissions='{"*": "rw"}',
        state="running",
        status="error",
        start_at=started,
        main_pid=4242,
        ttl=30,
        alert_rules='{"ram": {"maxThreshold": 90}}',
        ul_limit=1_000_000,
        dl_limit=2_000_000,
        storage_limit=5 * 2**30,
        state_limit=2**40,
    )
    assert store.services.get("svc-1") == ServiceInfo(
        id="svc-1", version=3, path="/var/aos/services/svc-1", service="aos_svc-1.service",
        user="aos_svc1", permissions='{"*": "rw"}', state="running", status="error",
        start_at=started, main_pid=4242, ttl=30, alert_rules='{"ram": {"maxThreshold": 90}}',
        ul_limit=1_000_000, dl_limit=2_000_000, storage_limit=5 * 2**30, state_limit=2**40,
    )  # fmt: skip


def test_a_new_service_is_stopped_ok_and_unlimited_by_default(store):
    info = store.services.create("svc")
    assert (info.version, info.state, info.status, info.start_at, info.ttl) == (
        0, "stopped", "ok", None, None,
    )  # fmt: skip
    assert (info.ul_limit, info.dl_limit, info.storage_limit, info.state_limit) == (None,) * 4


def test_states_and_statuses_are_stored_as_numbers_and_exposed_by_name(store):
    store.services.create("svc", state="failed", status="limit_exceeded")
    row = raw_service(store, "svc")
    assert (row.state, row.status) == (4, 2)
    assert (store.services.get("svc").state, store.services.get("svc").status) == (
        "failed", "limit_exceeded",
    )  # fmt: skip
    assert {s.name: s.value for s in ServiceState} == {
        "stopped": 0, "running": 1, "starting": 2, "stopping": 3, "failed": 4, "unknown": 5,
    }  # fmt: skip
    assert {s.name: s.value for s in ServiceStatus} == {"ok": 0, "error": 1, "limit_exceeded": 2}


def test_state_and_status_accept_enum_members_and_stored_numbers(store):
    store.services.create("a", state=ServiceState.starting, status=ServiceStatus.error)
    store.services.create("b", state=3, status=2)
    assert (store.services.get("a").state, store.services.get("a").status) == ("starting", "error")
    assert (store.services.get("b").state, store.services.get("b").status) == (
        "stopping", "limit_exceeded",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value"),
    [("state", "sleeping"), ("state", 6), ("status", "bad"), ("status", -1), ("state", True)],
)
def test_unknown_state_or_status_is_a_validation_error_naming_field_and_value(store, field, value):
    with pytest.raises(ValidationError) as err:
        store.services.create("svc", **{field: value})
    assert (err.value.field, err.value.value) == (field, value)
    assert "is not one of" in str(err.value)
    assert store.services.ids() == []


def test_duplicate_id_is_already_exists(store):
    store.services.create("svc")
    with pytest.raises(AlreadyExists, match="service 'svc' already exists"):
        store.services.create("svc")


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.services.get("ghost"),
        lambda s: s.services.update("ghost", version=2),
        lambda s: s.services.delete("ghost"),
        lambda s: s.services.set_state("ghost", "running"),
        lambda s: s.services.set_status("ghost", "error"),
        lambda s: s.services.set_start_time("ghost", NOW),
    ],
    ids=["get", "update", "delete", "set_state", "set_status", "set_start_time"],
)
def test_unknown_id_is_not_found_service(store, call):
    with pytest.raises(NotFound) as err:
        call(store)
    assert (err.value.kind, err.value.name) == ("service", "ghost")
    assert str(err.value) == "service 'ghost' not found"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "must not be empty"),
        ("a" * 256, "longer than 255"),
        ("my service", "whitespace"),
        ("tab\there", "whitespace"),
        ("line\n", "whitespace"),
        ("nul\x00", "control"),
        ("esc\x1b[2J", "control"),
        ("bidi\u202eevil", "control"),
        ("nbsp\u00a0x", "whitespace"),
        (42, "must be a string"),
    ],
)
def test_invalid_service_ids_are_refused_naming_field_and_value(store, value, reason):
    with pytest.raises(ValidationError, match=reason) as err:
        store.services.create(value)
    assert (err.value.field, err.value.value) == ("id", value)
    assert store.services.ids() == []


def test_ids_of_255_characters_and_any_printable_text_are_accepted(store):
    store.services.create("s" * 255)
    store.services.create("com.example/svc:1@2-ünï")
    assert store.services.ids() == ["com.example/svc:1@2-ünï", "s" * 255]


@pytest.mark.parametrize("field", ["ul_limit", "dl_limit", "storage_limit", "state_limit", "ttl"])
@pytest.mark.parametrize("value", [-1, 1.5, "10", True])
def test_limits_and_ttl_must_be_non_negative_whole_numbers(store, field, value):
    with pytest.raises(ValidationError) as err:
        store.services.create("svc", **{field: value})
    assert (err.value.field, err.value.value) == (field, value)


def test_limits_accept_zero_and_64_bit_values_and_refuse_more(store):
    store.services.create("svc", ul_limit=0, dl_limit=2**63 - 1, ttl=0)
    assert (store.services.get("svc").ul_limit, store.services.get("svc").dl_limit) == (
        0,
        2**63 - 1,
    )
    with pytest.raises(ValidationError, match="at most") as err:
        store.services.update("svc", storage_limit=2**63)
    assert err.value.field == "storage_limit"


def test_version_must_be_a_non_negative_whole_number(store):
    for value in (-1, None, "2"):
        with pytest.raises(ValidationError) as err:
            store.services.create("svc", version=value)
        assert (err.value.field, err.value.value) == ("version", value)


def test_naive_start_at_is_refused(store):
    with pytest.raises(ValidationError, match="with a zone") as err:
        store.services.create("svc", start_at=datetime(2026, 1, 1))  # noqa: DTZ001
    assert err.value.field == "start_at"


def test_start_at_in_another_zone_comes_back_as_the_same_instant_in_utc(store):
    plus2 = timezone(timedelta(hours=2))
    store.services.create("svc", start_at=datetime(2026, 11, 23, 10, 0, tzinfo=plus2))
    got = store.services.get("svc").start_at
    assert got == datetime(2026, 11, 23, 8, 0, tzinfo=UTC) and got.tzinfo == UTC


@pytest.mark.parametrize(
    ("unit", "ok"),
    [
        ("aos_svc.service", True),
        ("getty@tty1.service", True),
        ("dev-disk-by\\x2duuid.device", True),
        ("-x.service", False),
        ("two words.service", False),
        ("a;rm -rf.service", False),
        ("", False),
    ],
)
def test_the_unit_must_be_a_systemd_unit_name(store, unit, ok):
    if ok:
        assert store.services.create("svc", service=unit).service == unit
    else:
        with pytest.raises(ValidationError) as err:
            store.services.create("svc", service=unit)
        assert (err.value.field, err.value.value) == ("service", unit)


def test_update_changes_only_the_given_fields_and_none_unsets(store):
    store.services.create("svc", version=1, ttl=10, ul_limit=5, dl_limit=6, user="aos")
    info = store.services.update("svc", version=2, ul_limit=None)
    assert (info.version, info.ttl, info.ul_limit, info.dl_limit, info.user) == (
        2,
        10,
        None,
        6,
        "aos",
    )
    assert store.services.get("svc") == info


def test_an_invalid_update_changes_nothing(store):
    store.services.create("svc", ttl=10)
    with pytest.raises(ValidationError):
        store.services.update("svc", version=9, ttl=-3)
    assert (store.services.get("svc").version, store.services.get("svc").ttl) == (0, 10)


def test_list_is_ordered_by_id_and_filters_by_state_and_status(store):
    store.services.create("b", state="running")
    store.services.create("a", state="running", status="limit_exceeded")
    store.services.create("c")
    assert [s.id for s in store.services.list()] == ["a", "b", "c"]
    assert [s.id for s in store.services.list(state="running")] == ["a", "b"]
    assert [s.id for s in store.services.list(state="running", status="ok")] == ["b"]
    assert store.services.names() == store.services.ids() == ["a", "b", "c"]
    assert store.services.exists("a") and not store.services.exists("z")


def test_set_state_status_and_start_time_change_only_that_field(store):
    store.services.create("svc", ttl=3)
    store.services.set_state("svc", "running")
    store.services.set_status("svc", ServiceStatus.limit_exceeded)
    store.services.set_start_time("svc", NOW)
    info = store.services.get("svc")
    assert (info.state, info.status, info.start_at, info.ttl) == (
        "running",
        "limit_exceeded",
        NOW,
        3,
    )
    store.services.set_start_time("svc", None)
    assert store.services.get("svc").start_at is None
    with pytest.raises(ValidationError):
        store.services.set_state("svc", "dancing")


def test_save_creates_replaces_whole_or_reports_unchanged(store):
    info = ServiceInfo(id="svc", version=1, service="svc.service", ttl=7, ul_limit=10)
    assert store.services.save(info) == "created"
    assert store.services.save(info) == "unchanged"
    assert store.services.save(ServiceInfo(id="svc", version=2)) == "updated"
    got = store.services.get("svc")
    assert (got.version, got.service, got.ttl, got.ul_limit) == (2, None, None, None)


def test_save_keeps_the_runtime_fields_it_is_told_to_keep(store):
    store.services.create("svc", state="running", status="limit_exceeded", start_at=NOW, main_pid=7)
    outcome = store.services.save(
        ServiceInfo(id="svc", version=5), keep={"state", "status", "start_at", "main_pid"}
    )
    got = store.services.get("svc")
    assert outcome == "updated"
    assert (got.version, got.state, got.status, got.start_at, got.main_pid) == (
        5, "running", "limit_exceeded", NOW, 7,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="version"):
        store.services.save(ServiceInfo(id="svc"), keep={"version"})


def test_delete_removes_the_service_and_its_user_rows(store):
    store.services.create("gone")
    store.services.create("stays")
    store.users.bind(["u1"], "gone")
    store.users.bind(["u2", "u3"], "gone")
    store.users.bind(["u1"], "stays")
    store.services.delete("gone")
    assert store.services.ids() == ["stays"]
    assert count(store, User, service_id="gone") == 0  # ON DELETE CASCADE
    assert [(e.claims, e.service_id) for e in store.users.entries()] == [(["u1"], "stays")]


def test_several_changes_in_one_transaction_roll_back_whole(store):
    store.services.create("svc")
    with pytest.raises(RuntimeError), store.transaction():
        store.services.set_state("svc", "running")
        store.users.bind(["u1"], "svc")
        raise RuntimeError("boom")
    assert store.services.get("svc").state == "stopped"
    assert store.users.entries("svc") == []


# -- claim sets


def test_bind_then_entries_services_of_and_has_service(store):
    store.services.create("s1")
    store.services.create("s2")
    entry = store.users.bind(["user1", "subject2"], "s1", storage_folder="/var/aos/storage/1")
    store.users.bind(["subject2", "user1"], "s2")
    store.users.bind(["other"], "s2", state_checksum=b"\x00\xff")
    assert (entry.claims, entry.service_id, entry.storage_folder) == (
        ["subject2", "user1"], "s1", "/var/aos/storage/1",
    )  # fmt: skip
    assert store.users.services_of(["user1", "subject2"]) == ["s1", "s2"]
    assert store.users.services_of(["nobody"]) == []
    assert store.users.has_service(["user1", "subject2"], "s1")
    assert not store.users.has_service(["other"], "s1")
    assert [(e.key, e.service_id) for e in store.users.entries("s2")] == [
        ('["other"]', "s2"), ('["subject2","user1"]', "s2"),
    ]  # fmt: skip
    assert [e.service_id for e in store.users.entries(claims=["user1", "subject2"])] == ["s1", "s2"]
    assert store.users.get(["user1", "subject2"], "s1") == entry


def test_a_claim_set_in_another_order_or_with_duplicates_is_the_same_key(store):
    store.services.create("svc")
    store.users.bind(["b", "a", "b"], "svc")
    with store.reading() as conn:
        assert list(conn.scalars(select(User.users))) == ['["a","b"]']
    assert store.users.has_service(["a", "b", "a"], "svc")
    with pytest.raises(AlreadyExists):
        store.users.bind(("a", "b"), "svc")
    store.users.unbind(["b", "a"], "svc")
    assert store.users.entries() == []


def test_binding_twice_is_already_exists(store):
    store.services.create("svc")
    store.users.bind(["u1"], "svc")
    with pytest.raises(AlreadyExists, match=r'claim set \["u1"\] on service .svc. already exists'):
        store.users.bind(["u1"], "svc")


def test_binding_to_an_unknown_service_is_not_found_service(store):
    with pytest.raises(NotFound) as err:
        store.users.bind(["u1"], "ghost")
    assert (err.value.kind, err.value.name) == ("service", "ghost")
    with pytest.raises(NotFound, match="service 'ghost'"):
        store.users.entries("ghost")


def test_unbind_removes_only_that_binding_and_a_missing_one_is_not_found(store):
    store.services.create("s1")
    store.services.create("s2")
    store.users.bind(["u1"], "s1")
    store.users.bind(["u1"], "s2")
    store.users.unbind(["u1"], "s1")
    assert store.users.services_of(["u1"]) == ["s2"]
    with pytest.raises(NotFound, match=r'claim set \["u1"\] on service .s1. not found'):
        store.users.unbind(["u1"], "s1")
    with pytest.raises(NotFound) as err:
        store.users.unbind(["u1"], "ghost")
    assert (err.value.kind, err.value.name) == ("service", "ghost")


def test_storage_folder_and_state_checksum_are_set_and_read_back(store):
    store.services.create("svc")
    store.users.bind(["u1"], "svc")
    digest = hashlib.sha256(b"state").digest()
    store.users.set_storage_folder(["u1"], "svc", "/var/aos/storage/u1")
    store.users.set_state_checksum(["u1"], "svc", digest)
    entry = store.users.get(["u1"], "svc")
    assert (entry.storage_folder, entry.state_checksum) == ("/var/aos/storage/u1", digest)
    assert isinstance(entry.state_checksum, bytes)
    store.users.set_state_checksum(["u1"], "svc", None)
    assert store.users.get(["u1"], "svc").state_checksum is None


def test_setting_a_field_of_a_missing_binding_is_not_found(store):
    store.services.create("svc")
    with pytest.raises(NotFound, match="on service 'svc' not found"):
        store.users.set_storage_folder(["u1"], "svc", "/x")
    with pytest.raises(NotFound, match="service 'ghost' not found"):
        store.users.set_state_checksum(["u1"], "ghost", b"x")


def test_a_state_checksum_must_be_bytes(store):
    store.services.create("svc")
    with pytest.raises(ValidationError) as err:
        store.users.bind(["u1"], "svc", state_checksum="abcd")
    assert (err.value.field, err.value.value) == ("state_checksum", "abcd")


def test_state_checksum_is_the_sha256_of_the_state_files_bytes(tmp_path):
    state = tmp_path / "state.dat"
    state.write_bytes(b"\x00state\xff" * 100_000)
    assert state_checksum(state) == hashlib.sha256(state.read_bytes()).digest()
    with open_store(":memory:") as store:
        assert store.users.checksum(str(state)) == state_checksum(state)


def test_an_unreadable_state_file_is_a_validation_error_naming_the_path(tmp_path):
    missing = tmp_path / "nope.dat"
    with pytest.raises(ValidationError, match="cannot be read") as err:
        state_checksum(missing)
    assert (err.value.field, err.value.value) == ("state file", str(missing))


def test_claim_sets_lists_each_bound_set_once(store):
    store.services.create("s1")
    store.services.create("s2")
    store.users.bind(["b", "a"], "s1")
    store.users.bind(["a", "b"], "s2")
    store.users.bind(["c"], "s2")
    assert store.users.claim_sets() == [["a", "b"], ["c"]]
    assert store.users.names() == ['["a","b"]', '["c"]']


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ("user1", "must be a list of strings"),
        ({"user1": 1}, "must be a list of strings"),
        ([], "at least one claim"),
        ([""], "non-empty string"),
        (["ok", 3], "non-empty string"),
        (["a\x00b"], "control characters"),
        (["a\nb"], "control characters"),
        (["x" * 1100], "longer than 1024"),
    ],
)
def test_invalid_claim_sets_are_refused(store, claims, reason):
    store.services.create("svc")
    with pytest.raises(ValidationError, match=reason) as err:
        store.users.bind(claims, "svc")
    assert err.value.field == "users"
    assert store.users.entries() == []


def test_a_claim_may_contain_spaces_and_any_script(store):
    store.services.create("svc")
    store.users.bind(["Jane Doe", "ユーザー"], "svc")
    assert store.users.claim_sets() == [["Jane Doe", "ユーザー"]]


claim_lists = st.lists(
    st.text(
        st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1, max_size=8
    ),
    min_size=1,
    max_size=6,
)


@given(claims=claim_lists, data=st.data())
def test_any_permutation_or_duplication_of_a_claim_list_maps_to_the_same_key(claims, data):
    shuffled = data.draw(st.permutations(claims))
    extra = data.draw(st.lists(st.sampled_from(claims), max_size=4))
    key = canonical_claims(claims)
    assert canonical_claims(shuffled + extra) == key
    assert parse_claims(key) == sorted(set(claims))
    assert json.loads(key) == sorted(set(claims))
    # A set with one more claim is another key.
    other = data.draw(claim_lists.flatmap(st.sampled_from).filter(lambda c: c not in claims))
    assert canonical_claims([*claims, other]) != key


# -- time to live


def test_expired_lists_services_whose_start_plus_ttl_days_has_passed(store):
    store.services.create("old", start_at=NOW - timedelta(days=31), ttl=30)
    store.services.create("young", start_at=NOW - timedelta(days=29), ttl=30)
    store.services.create("edge", start_at=NOW - timedelta(days=30), ttl=30)  # due exactly now
    store.services.create("zero", start_at=NOW - timedelta(seconds=1), ttl=0)
    assert [s.id for s in store.services.expired(now=NOW)] == ["old", "zero"]
    assert [s.id for s in store.services.expired(now=NOW + timedelta(microseconds=1))] == [
        "edge", "old", "zero",
    ]  # fmt: skip


def test_services_without_start_at_or_ttl_never_expire(store):
    store.services.create("no-ttl", start_at=NOW - timedelta(days=10_000))
    store.services.create("never-started", ttl=0)
    store.services.create("far", start_at=NOW, ttl=2**31 - 1)  # past year 9999: never
    assert store.services.expired(now=NOW + timedelta(days=3650)) == []


def test_the_current_claim_set_given_protects_its_services(store):
    for sid in ("mine", "theirs", "nobodys"):
        store.services.create(sid, start_at=NOW - timedelta(days=2), ttl=1)
    store.users.bind(["u1", "u2"], "mine")
    store.users.bind(["u3"], "theirs")
    expired = store.services.expired(now=NOW, current_users=["u2", "u1", "u2"])
    assert [s.id for s in expired] == ["nobodys", "theirs"]


def test_the_current_claim_set_comes_from_config_users_current(store):
    for sid in ("mine", "theirs"):
        store.services.create(sid, start_at=NOW - timedelta(days=2), ttl=1)
    store.users.bind(["u1"], "mine")
    assert [s.id for s in store.services.expired(now=NOW)] == ["mine", "theirs"]  # none: no one
    store.users.set_current(["u1"])
    assert store.config.get("users.current") == '["u1"]'
    assert store.users.current() == ["u1"]
    assert [s.id for s in store.services.expired(now=NOW)] == ["theirs"]
    # The argument wins over the config key.
    assert [s.id for s in store.services.expired(now=NOW, current_users=["u9"])] == [
        "mine", "theirs",
    ]  # fmt: skip
    store.users.set_current(None)
    assert store.users.current() is None


def test_a_malformed_users_current_is_a_validation_error_naming_the_key(store):
    with pytest.raises(ValidationError, match="users.current: 'user1' is not a JSON list"):
        store.config.set("users.current", "user1")
    store_config_unchecked(store, "users.current", "user1")  # as an older nodekeeper could
    with pytest.raises(ValidationError) as err:
        store.services.expired(now=NOW)
    assert (err.value.field, err.value.value) == ("config.users.current", "user1")


def test_expired_is_a_dry_run_that_changes_nothing(store):
    store.services.create("old", start_at=NOW - timedelta(days=2), ttl=1)
    store.users.bind(["u1"], "old")
    assert [s.id for s in store.services.expired(now=NOW)] == ["old"]
    assert store.services.ids() == ["old"] and count(store, User) == 1


def test_remove_expired_deletes_expired_services_and_their_user_rows(store):
    store.services.create("old", start_at=NOW - timedelta(days=2), ttl=1)
    store.services.create("kept", start_at=NOW - timedelta(days=2), ttl=1)
    store.services.create("young", start_at=NOW, ttl=1)
    store.users.bind(["u1"], "old")
    store.users.bind(["u2"], "old")
    store.users.bind(["me"], "kept")
    assert store.services.remove_expired(now=NOW, current_users=["me"]) == ["old"]
    assert store.services.ids() == ["kept", "young"]
    assert count(store, User, service_id="old") == 0 and count(store, User) == 1
    assert store.services.remove_expired(now=NOW, current_users=["me"]) == []


def test_remove_expired_inside_a_failed_transaction_removes_nothing(store):
    store.services.create("old", start_at=NOW - timedelta(days=2), ttl=1)
    store.users.bind(["u1"], "old")
    with pytest.raises(RuntimeError), store.transaction():
        assert store.services.remove_expired(now=NOW) == ["old"]
        raise RuntimeError("abort")
    assert store.services.ids() == ["old"] and count(store, User) == 1


def test_a_read_only_store_refuses_service_changes(tmp_path):
    path = tmp_path / "nk.db"
    with open_store(path) as store:
        store.services.create("svc", start_at=NOW - timedelta(days=2), ttl=1)
    with open_store(path, read_only=True) as store:
        assert [s.id for s in store.services.expired(now=NOW)] == ["svc"]
        with pytest.raises(ReadOnly):
            store.services.remove_expired(now=NOW)
        with pytest.raises(ReadOnly):
            store.users.bind(["u1"], "svc")
