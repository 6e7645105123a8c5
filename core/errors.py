"""Typed errors of the core API.

Every error says what was wrong (which field, which value) and, where it helps, what to do.
The CLI prints ``error: <message>`` and exits non-zero; the TUI shows the same text.
"""

from __future__ import annotations


class NodekeeperError(Exception):
    """Base class of every error nodekeeper raises on purpose."""


class StoreError(NodekeeperError):
    """The database cannot be opened or used (bad path, not a database, unreadable...)."""


class SchemaTooNew(StoreError):
    """The database was written by a newer nodekeeper; it is left untouched."""


class ReadOnly(NodekeeperError):
    """A write was attempted on a store opened read-only."""


class NotFound(NodekeeperError):
    """A named resource does not exist."""

    def __init__(self, kind: str, name: str, hint: str = ""):
        self.kind, self.name = kind, name
        super().__init__(f"{kind} {name!r} not found" + (f" ({hint})" if hint else ""))


class AlreadyExists(NodekeeperError):
    """A resource with that name (or fingerprint) already exists."""

    def __init__(self, kind: str, name: str):
        self.kind, self.name = kind, name
        super().__init__(f"{kind} {name!r} already exists")


class InUse(NodekeeperError):
    """A resource cannot be removed because others still refer to it."""

    def __init__(self, kind: str, name: str, users: list[str], user_kind: str = "containers"):
        self.kind, self.name, self.users = kind, name, users
        shown = ", ".join(users[:20]) + (f" and {len(users) - 20} more" if len(users) > 20 else "")
        super().__init__(f"{kind} {name!r} is still used by {user_kind}: {shown}")


class Running(NodekeeperError):
    """A running resource cannot be deleted unless the delete is forced (as ``lxc delete``)."""

    def __init__(self, kind: str, name: str):
        self.kind, self.name = kind, name
        super().__init__(f"{kind} {name!r} is running: stop it first, or delete it with --force")


class _Absent:
    """The value of a field that is not given at all (a required key left out)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


class ValidationError(NodekeeperError, ValueError):
    """Input that breaks a rule. ``field`` names the field, ``value`` the rejected value.

    ``field`` is the field's path in its resource (``devices.eth0.type``, ``config.limits.cpu``)
    with no owner in front, so that a document puts its place before it once
    (``containers[2].devices.eth0.type``). The message is ``field: value reason``, or
    ``field: reason`` when the value is ABSENT (``filename: required``)."""

    def __init__(self, field: str, value: object, reason: str):
        self.field, self.value, self.reason = field, value, reason
        super().__init__(f"{field}: {self.rule}")

    @property
    def rule(self) -> str:
        """The message without its field: what the value breaks."""
        return self.reason if self.value is ABSENT else f"{self.value!r} {self.reason}"


class FieldErrors(ValidationError):
    """Several fields of one resource break their rules; ``errors`` lists each (the first is
    also this error's ``field``, ``value`` and ``reason``)."""

    def __init__(self, errors: list[ValidationError]):
        super().__init__(errors[0].field, errors[0].value, errors[0].reason)
        self.errors = errors
        self.args = ("; ".join(str(error) for error in errors),)


class DocumentError(NodekeeperError):
    """A TOML document is malformed or invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str], source: str = "document"):
        self.problems, self.source = problems, source
        if len(problems) == 1:  # one line, as the CLI's other errors
            super().__init__(f"{source} is invalid: {problems[0]}")
        else:
            joined = "\n  ".join(problems)
            super().__init__(f"{source} is invalid:\n  {joined}")
