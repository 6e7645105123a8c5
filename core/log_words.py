"""The words log events are filed under, shared by the parsers that give them (core.collect.logs)
and the store and commands that filter and count by them."""

from __future__ import annotations

import functools
import re

# syslog's eight severities, most severe first (a line's <PRI> % 8 indexes them), named in full.
LEVELS = ("emergency", "alert", "critical", "error", "warning", "notice", "info", "debug")

# What a line says happened; an event of none of these has no action.
ACTIONS = (
    "login_failed", "invalid_user", "login_accepted", "auth_failure", "sudo", "ban", "unban",
    "ban_restored", "already_banned", "found", "firewall_block", "oom_kill", "unit_failed",
    "io_error",
    "traffic_limit",  # nodekeeper's own: a service over its traffic limit (store.traffic)
)  # fmt: skip


# The level of an event whose line says none, by its action (the parsers' rule 3; the demo's).
ACTION_LEVELS = {
    "login_failed": "warning", "invalid_user": "warning", "auth_failure": "warning",
    "firewall_block": "warning", "ban": "notice", "unban": "notice", "ban_restored": "notice",
    "already_banned": "notice", "sudo": "notice", "found": "info", "login_accepted": "info",
    "oom_kill": "error", "io_error": "error", "unit_failed": "error", "traffic_limit": "warning",
}  # fmt: skip
assert set(ACTION_LEVELS) == set(ACTIONS)  # every action has its level


def at_least(level: str) -> tuple[str, ...]:
    """The levels as severe as ``level`` or more (``--level warning``: warning, error, ...)."""
    return LEVELS[: LEVELS.index(level) + 1]


# -- text search: a message "holds" a text when it has the text's words in order, next to each
# other (anything but letters and digits between them), the last one as a prefix, in any case:
# what a full-text index answers (SQLite's FTS5 with the unicode61 tokenizer, whose words are
# runs of letters and digits; PostgreSQL's trigram index through the same regular expression).

_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The words of ``text``, as the full-text index splits a message into them."""
    return _WORD.findall(text)


def words_regex(found: list[str], *, posix: bool = False) -> str:
    """The regular expression of a message holding ``found`` (``words()`` of a search):
    Python's, or with ``posix`` PostgreSQL's. The words are letters and digits only: nothing
    in them needs escaping."""
    if posix:
        return "(^|[^[:alnum:]])" + "[^[:alnum:]]+".join(found)
    return r"(?<![^\W_])" + r"[\W_]+".join(found)


@functools.lru_cache(maxsize=64)
def _compiled(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE)


def holds_words(regex: str, message: str | None) -> bool:
    """Whether ``message`` matches ``regex`` (a ``words_regex``), case-insensitively: SQLite's
    SQL function ``nk_words`` for the events the full-text index has not taken in yet."""
    return message is not None and _compiled(regex).search(message) is not None
