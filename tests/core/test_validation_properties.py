"""Property tests of the name rules: every valid name passes, every broken rule is caught."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import ValidationError, validate

HOST_CHARS = string.ascii_letters + string.digits + "-"
DEVICE_CHARS = string.ascii_letters + string.digits + "-/._:"

valid_hostnames = st.text(HOST_CHARS, min_size=1, max_size=63).filter(
    lambda s: not s.startswith("-") and not s.endswith("-") and not s.isdigit()
)


@given(valid_hostnames)
def test_valid_hostnames_pass(name):
    assert validate.hostname(name) == name


@given(st.text(min_size=1, max_size=80))
def test_hostname_accepts_exactly_the_rule(name):
    ok = (
        1 <= len(name) <= 63
        and all(ch in HOST_CHARS for ch in name)
        and not name.startswith("-")
        and not name.endswith("-")
        and not name.isdigit()
    )
    if ok:
        assert validate.hostname(name) == name
    else:
        with pytest.raises(ValidationError) as err:
            validate.hostname(name)
        assert err.value.field == "name" and err.value.value == name


@given(st.text(string.digits, min_size=1, max_size=63))
def test_all_digit_names_are_refused(name):
    with pytest.raises(ValidationError, match="all digits"):
        validate.hostname(name)


@given(st.text(min_size=0, max_size=80))
def test_device_name_accepts_exactly_the_rule(name):
    ok = (
        1 <= len(name) <= 63 and all(ch in DEVICE_CHARS for ch in name) and not name.startswith(".")
    )
    if ok:
        assert validate.device_name(name) == name
    else:
        with pytest.raises(ValidationError):
            validate.device_name(name)


segments = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=12)


@given(st.lists(segments, min_size=2, max_size=4))
def test_dotted_config_keys_pass(parts):
    key = ".".join(parts)
    assert validate.config_key(key) == key


@given(segments)
def test_undotted_config_keys_are_refused(word):
    with pytest.raises(ValidationError, match="dotted"):
        validate.config_key(word)
