"""The server config's keys and rules (core.settings): refused at the door by the store API and
by documents alike; a bad value already stored never stops the collector."""

from __future__ import annotations

import logging

import pytest

from core import DocumentError, ValidationError, settings
from core.cli import main
from core.collect.daemon import Collector
from core.documents import apply_text
from core.settings import tunable
from tests.helpers import store_config_unchecked

REFUSED = [
    ("collector.interval", "-3", "collector.interval: '-3' must be a number of seconds from 0.1"),
    ("collector.interval", "nan", "must be a number of seconds from 0.1 to 86400"),
    ("collector.interval", "soon", "must be a number of seconds"),
    ("traffic.period", "fortnight", "traffic.period: 'fortnight' must be one of: hour, day, month"),
    ("traffic.max_rate", "0", "traffic.max_rate: '0' must be a whole number of bits/s from 1"),
    ("retention.raw_hours", "1.5", "must be a whole number of hours from 1 to 876000"),
    ("retention.audit_days", "99999999", "must be a whole number of days from 1 to 36500"),
    ("users.current", "user1", "users.current: 'user1' is not a JSON list of strings"),
    ("collector.intervall", "2", "collector.intervall: is not a known key"),
    ("typo.key", "1", "free-form keys are user.*"),
]


@pytest.mark.parametrize(("key", "value", "message"), REFUSED)
def test_a_value_that_breaks_its_keys_rule_is_refused_naming_the_key_and_the_rule(
    store, key, value, message
):
    with pytest.raises(ValidationError, match=message.replace(".", r"\.").replace("*", r"\*")):
        store.config.set(key, value)
    assert store.config.all() == {}


@pytest.mark.parametrize(("key", "value", "message"), REFUSED)
def test_replacing_the_whole_config_checks_each_key_the_same_way(store, key, value, message):
    store.config.set("user.owner", "ops")
    with pytest.raises(ValidationError, match=message.replace(".", r"\.").replace("*", r"\*")):
        store.config.replace({"user.owner": "dev", key: value})
    assert store.config.all() == {"user.owner": "ops"}


def test_known_free_form_and_lxd_keys_are_kept(store):
    accepted = {
        "collector.interval": "0.5",
        "traffic.period": "month",
        "traffic.max_rate": 8000,
        "retention.raw_hours": "72",
        "users.current": '["b","a"]',
        "user.owner": "anything at all",
        "core.https_address": "[::]:8443",
        "images.auto_update_interval": 6,
    }
    for key, value in accepted.items():
        store.config.set(key, value)
    assert store.config.get("traffic.max_rate") == "8000"
    assert tunable(store, "collector.interval") == 0.5
    assert tunable(store, "traffic.period") == "month"
    assert tunable(store, "retention.raw_hours") == 72
    store.config.set("collector.interval", None)  # unset: the default again
    assert (
        tunable(store, "collector.interval")
        == settings.SETTINGS["collector.interval"].default
        == 2.0
    )


def test_a_stored_bad_value_is_logged_once_and_its_default_used(store, caplog):
    store_config_unchecked(store, "retention.events_days", "-7 (logged once)")
    with caplog.at_level(logging.WARNING, logger="nodekeeper"):
        assert tunable(store, "retention.events_days") == 30
        assert tunable(store, "retention.events_days") == 30
    warnings = [r.getMessage() for r in caplog.records if "retention.events_days" in r.getMessage()]
    assert warnings == [
        "server config retention.events_days: '-7 (logged once)' must be a whole number of days "
        "from 1 to 36500; using the default, 30"
    ]


def test_a_stored_bad_interval_does_not_stop_the_collector(file_store, caplog):
    store_config_unchecked(file_store, "collector.interval", "-3")
    store_config_unchecked(file_store, "traffic.period", "fortnight")
    with caplog.at_level(logging.WARNING, logger="nodekeeper"):
        collector = Collector(file_store)
        collector.cycle()
        collector.cycle()
    assert collector.interval == 2.0
    assert len(file_store.telemetry.system_samples(0)) == 2
    told = [r.getMessage() for r in caplog.records if "traffic.period" in r.getMessage()]
    assert len(told) == 1 and "'fortnight' must be one of: hour, day, month" in told[0]


def test_a_config_document_lists_every_bad_key_and_changes_nothing(store):
    store.config.set("traffic.period", "hour")
    with pytest.raises(DocumentError) as err:
        apply_text(
            store,
            '[config]\n"collector.interval" = "-3"\n"traffic.period" = "fortnight"\n'
            '"typo.key" = "1"\n"user.note" = "fine"\n',
        )
    problems = err.value.problems
    assert problems[:2] == [
        "config.collector.interval: '-3' must be a number of seconds from 0.1 to 86400",
        "config.traffic.period: 'fortnight' must be one of: hour, day, month",
    ]
    assert problems[2].startswith("config.typo.key: is not a known key: nodekeeper's are ")
    assert len(problems) == 3
    assert store.config.all() == {"traffic.period": "hour"}


def test_apply_refuses_a_bad_setting_with_exit_1_and_the_rule(tmp_path, capsys):
    db = tmp_path / "nk.db"
    doc = tmp_path / "settings.toml"
    doc.write_text('[config]\n"collector.interval" = "-3"\n')
    code = main(["apply", str(doc), "--db", str(db)])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == (
        f"error: {doc} is invalid: config.collector.interval: '-3' must be a number of seconds "
        "from 0.1 to 86400\n"
    )
    assert not db.exists()  # the database made for the refused document went with it


def test_db_check_lists_each_stored_value_that_breaks_its_rule(tmp_path, capsys):
    from core import open_store

    db = tmp_path / "nk.db"
    with open_store(db) as store:
        store_config_unchecked(store, "traffic.period", "fortnight")
        store_config_unchecked(store, "user.note", "free-form: fine")
    code = main(["db", "check", "--db", str(db)])
    out, _ = capsys.readouterr()
    assert code == 1
    assert out == (
        "problem: server config traffic.period: 'fortnight' must be one of: hour, day, month\n"
    )
