"""How the CLI and the console both say sizes and counts, and how the CLI writes JSON
(core/text.py)."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.text import ascii_json, counted, escape_control, human_size, in_number, json_lines

GiB = 1 << 30


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"), (1023, "1023 B"),  # exact when small
        (1024, "1 KiB"), (2048, "2 KiB"), (400 * GiB, "400 GiB"), (3 << 50, "3 PiB"),  # whole
        (1025, "1.0 KiB"), (1536, "1.5 KiB"), (10**9, "953.7 MiB"), (10 * GiB + 1, "10.0 GiB"),
        ((1 << 20) - 52, "1023.9 KiB"), ((1 << 20) - 51, "1.0 MiB"),  # never "1024.0 KiB"
        (2**63 - 1, "8.0 EiB"),  # the largest a BIGINT limit holds
    ],
)  # fmt: skip
def test_sizes_are_iec_units_whole_without_a_decimal(size: int, text: str) -> None:
    assert human_size(size) == text


def test_a_count_takes_its_noun_in_number() -> None:
    assert [counted(n, "row") for n in (0, 1, 2)] == ["0 rows", "1 row", "2 rows"]
    assert (
        counted(1, "alias", "aliases") == "1 alias"
        and in_number(3, "alias", "aliases") == "aliases"
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    | st.datetimes(),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    | st.dictionaries(st.integers(), inner, max_size=2),  # keys json turns into text
    max_leaves=20,
)  # fmt: skip


@given(st.lists(json_values, max_size=4))
def test_json_lines_writes_the_text_json_dumps_writes(objects):
    def default(value):
        return value.isoformat()

    assert "".join(json_lines(objects, default)) == json.dumps(objects, indent=2, default=default)


def test_json_lines_yields_each_object_as_it_comes():
    taken = []

    def objects():
        for i in range(3):
            taken.append(i)
            yield {"n": i}

    pieces = json_lines(objects())
    assert next(pieces) == '[\n  {\n    "n": 0\n  }' and taken == [0]


@given(st.text())
def test_ascii_json_escapes_what_json_dumps_escapes_beyond_what_sql_does(value):
    """SQL's JSON functions leave DEL and non-ASCII characters as they are: ``ascii_json``
    writes them as json.dumps (ensure_ascii) does, surrogate pairs included."""
    as_sql_writes_it = json.dumps({"k": [value]}, ensure_ascii=False, indent=2)
    assert ascii_json(as_sql_writes_it) == json.dumps({"k": [value]}, indent=2)


def test_ascii_json_gives_ascii_text_back_as_it_is():
    text = '{"a": "\\u00e9 \\" \\n"}'
    assert ascii_json(text) is text


def test_every_character_escape_control_escapes_is_one_isprintable_refuses():
    """escape_control gives printable text back as it is (its fast path): right only while no
    character its patterns escape, on one line or in a document, counts as printable."""
    from core.text import _DOCUMENT, _ONE_LINE

    printable = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isprintable())
    assert _ONE_LINE.search(printable) is None and _DOCUMENT.search(printable) is None
    assert escape_control("a\x1b[31m\u202e") == "a\\x1b[31m\\u202e"
