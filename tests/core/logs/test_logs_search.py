"""Text search of log messages: the words of the text in order, next to each other, the last as
a prefix, in any case; the same events on every backend (SQLite's FTS5 index, with the events
it has not taken in yet matched one by one; PostgreSQL's trigram index), and the same as a
brute-force match in Python."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.log_words import holds_words, words, words_regex
from core.store.logs import EventFilter, FilePosition

MESSAGES = [
    "Failed password for root from 203.0.113.9 port 22 ssh2",
    "Failed password for invalid user bob.smith from 2001:db8::1 port 2222 ssh2",
    "Accepted publickey for alice from 198.51.100.4 port 50022 ssh2: ED25519 SHA256:abc",
    "pam_unix(sshd:auth): authentication failure; rhost=203.0.113.9  user=root",
    "Out of memory: Killed process 4242 (java) total-vm:1234kB",
    "FAILED to read the PASSWORD file",
    "nginx.service: Failed with result 'exit-code'.",
    "Café au lait with naïve résumé",
    "a_b under_score and 100% sure",
    "",
]
SEARCHES = [
    "failed password", "Failed pass", "password for root", "203.0.113", "2001:db8", "bob.smith",
    "bob", "smith", "pam_unix", "exit-code", "Killed process 42", "ssh2", "résumé", "cafe",
    "under", "score", "100%", "%", "_", "for", "word-that-is-nowhere", "root from",
]  # fmt: skip


def stored(store, messages=MESSAGES, start=1_700_000_000) -> None:
    rows = [
        (start + i, "auth.log", "info", "sshd", None, None, m, None, None, None, None, start)
        for i, m in enumerate(messages)
    ]
    store.logs.store_batch(rows, FilePosition("/var/log/auth.log", 1, 1, 0, ""))


def found(store, search: str) -> list[str]:
    return [e.message for e in store.logs.events(EventFilter(text=search), limit=1000)]


def expected(search: str, messages=MESSAGES) -> list[str]:
    w = words(search)
    if not w:
        return [m for m in messages if search.lower() in m.lower()]
    return [m for m in messages if holds_words(words_regex(w), m)]


@pytest.mark.parametrize("indexed", ["none", "all", "half"])
def test_each_search_finds_what_the_words_rule_says_indexed_or_not(store, indexed):
    stored(store, MESSAGES[:5])
    if indexed == "half":
        store.logs.index_text()
    stored(store, MESSAGES[5:], start=1_700_000_100)
    if indexed == "all":
        store.logs.index_text()
    for search in SEARCHES:
        assert found(store, search) == expected(search), search


def test_the_rule_itself_on_examples():
    assert expected("failed password") == MESSAGES[:2]  # not "FAILED to read the PASSWORD"
    assert expected("failed pass") == MESSAGES[:2]  # the last word as a prefix
    assert expected("203.0.113") == [MESSAGES[0], MESSAGES[3]]
    assert expected("smith") == [MESSAGES[1]]  # a word of bob.smith
    assert expected("mith") == []  # words begin where the message's words begin
    assert expected("cafe") == []  # accents are kept: café is not cafe


def test_indexing_takes_each_event_once_and_deleted_events_leave_the_index(store):
    if not store.location.is_sqlite:
        pytest.skip("PostgreSQL's trigram index keeps itself")
    stored(store)
    assert store.logs.index_text() == len(MESSAGES)
    assert store.logs.index_text() == 0
    with store.transaction() as conn:
        conn.execute(text("DELETE FROM log_events WHERE message LIKE 'Failed%'"))
        conn.execute(
            text("INSERT INTO log_events_text (log_events_text) VALUES ('integrity-check')")
        )
    assert found(store, "failed password") == []
    assert found(store, "accepted") == [MESSAGES[2]]


def test_indexing_in_chunks_stops_at_its_limit(store):
    if not store.location.is_sqlite:
        pytest.skip("PostgreSQL's trigram index keeps itself")
    stored(store)
    assert store.logs.index_text(limit=3) == 3
    assert store.logs.index_text() == len(MESSAGES) - 3
    for search in SEARCHES:
        assert found(store, search) == expected(search), search
