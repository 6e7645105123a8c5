"""Validation rules for names, keys and enumerated fields, shared by the API and documents.

Each rule raises ValidationError naming the field and the value, so the CLI, the TUI and
documents report the same message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping

from .errors import FieldErrors, ValidationError

_HOSTNAME = re.compile(r"[-a-zA-Z0-9]{1,63}")
_NODE_NAME = re.compile(r"[-._a-zA-Z0-9]{1,255}")
_DEVICE_NAME = re.compile(r"[-/._:a-zA-Z0-9]{1,63}")
_CONFIG_KEY = re.compile(r"[A-Za-z0-9_\-/:]+(\.[A-Za-z0-9_\-/:]+)+")
_DEVICE_KEY = re.compile(r"[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*")
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")

_CONTROL = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def bad_char(value: str, *, whitespace: bool = False) -> str | None:
    """The first control character of ``value`` (or whitespace one, unless ``whitespace``)."""
    for ch in value:
        if unicodedata.category(ch) in _CONTROL or (ch.isspace() and not whitespace):
            return ch
    return None


def hostname(value: object, field: str = "name") -> str:
    """Container and profile names: 1-63 of [-a-zA-Z0-9], no leading/trailing '-', not all digits."""
    if not isinstance(value, str):
        raise ValidationError(field, value, "must be a string")
    if not _HOSTNAME.fullmatch(value):
        if not value:
            raise ValidationError(field, value, "must not be empty")
        if len(value) > 63:
            raise ValidationError(field, value, "is longer than 63 characters")
        raise ValidationError(field, value, "may contain only letters, digits and '-'")
    if value.startswith("-") or value.endswith("-"):
        raise ValidationError(field, value, "must not start or end with '-'")
    if value.isdigit():
        raise ValidationError(field, value, "must not be all digits")
    return value


def node_name(value: object, field: str = "node") -> str:
    """A node's name: a host name, dots allowed (``edge-7.example.net``), at most 255."""
    if not isinstance(value, str):
        raise ValidationError(field, value, "must be a string")
    if not _NODE_NAME.fullmatch(value):
        if not value:
            raise ValidationError(field, value, "must not be empty")
        if len(value) > 255:
            raise ValidationError(field, value, "is longer than 255 characters")
        raise ValidationError(field, value, "may contain only letters, digits, '-', '.' and '_'")
    return value


def device_name(value: object, field: str = "device name") -> str:
    """Device names: 1-63 of [-/._:a-zA-Z0-9], not starting with '.'."""
    if not isinstance(value, str):
        raise ValidationError(field, value, "must be a string")
    if not _DEVICE_NAME.fullmatch(value):
        if not value:
            raise ValidationError(field, value, "must not be empty")
        if len(value) > 63:
            raise ValidationError(field, value, "is longer than 63 characters")
        raise ValidationError(field, value, "may contain only letters, digits and - / . _ :")
    if value.startswith("."):
        raise ValidationError(field, value, "must not start with '.'")
    return value


def config_key(value: object, field: str = "config key") -> str:
    """Config keys are non-empty and dotted: 'limits.cpu', 'user.owner', 'environment.TZ'."""
    if not isinstance(value, str) or not value:
        raise ValidationError(field, value, "must be a non-empty string")
    if len(value) > 255:
        raise ValidationError(field, value, "is longer than 255 characters")
    if not _CONFIG_KEY.fullmatch(value):
        raise ValidationError(
            field, value, "must be dotted words such as 'limits.cpu' (letters, digits, _ - / :)"
        )
    return value


def device_key(value: object, field: str = "device key") -> str:
    """Device config keys: 'parent', 'ipv4.address', 'limits.ingress'."""
    if not isinstance(value, str) or not value:
        raise ValidationError(field, value, "must be a non-empty string")
    if not _DEVICE_KEY.fullmatch(value) or len(value) > 255:
        raise ValidationError(
            field, value, "must be words of letters, digits, _ and -, joined by '.'"
        )
    return value


def config_value(value: object, field: str) -> str:
    """Config values are strings; booleans and numbers are accepted and stored as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise ValidationError(field, value, "must be a string, a number or a boolean")
    if "\x00" in value:
        raise ValidationError(field, value, "must not contain NUL characters")
    return value


def config_map(config: Mapping[str, object] | None, field: str = "config") -> dict[str, str]:
    """A validated copy of a config mapping; None values are dropped (unset)."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise ValidationError(field, config, "must be a table of key = value")
    out: dict[str, str] = {}
    for key, value in config.items():
        config_key(key, field)  # a key is named by its table: 'config: 'nodots' must be ...'
        if value is not None:
            out[key] = config_value(value, f"{field}.{key}")
    return out


def fingerprint(value: object, field: str = "fingerprint") -> str:
    if not isinstance(value, str) or not _FINGERPRINT.fullmatch(value.lower()):
        raise ValidationError(field, value, "must be 64 hexadecimal digits (a sha256)")
    return value.lower()


def choice(value: object, choices: Mapping[int, str], field: str) -> int:
    """An enumerated field given by name (or its stored number); returns the stored number."""
    if isinstance(value, int) and not isinstance(value, bool) and value in choices:
        return value
    for number, name in choices.items():
        if value == name:
            return number
    names = ", ".join(choices.values())
    raise ValidationError(field, value, f"is not one of: {names}")


def boolean(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "1", 1):
        return True
    if value in ("false", "0", 0):
        return False
    raise ValidationError(field, value, "must be true or false")


def each_field(checks: Mapping[str, Callable[[], object]]) -> dict[str, object]:
    """Every field's checked value, by field; when some break their rules, all their
    ValidationErrors together (FieldErrors), so that a document lists each one at once."""
    values: dict[str, object] = {}
    errors: list[ValidationError] = []
    for name, check in checks.items():
        try:
            values[name] = check()
        except FieldErrors as exc:
            errors += exc.errors
        except ValidationError as exc:
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise FieldErrors(errors)
    return values
