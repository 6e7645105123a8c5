"""Text for people: untrusted text made safe to print (control characters shown escaped, never
interpreted), byte counts in IEC units and counts with their noun, as the CLI and the console
both show them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

# C0 controls, DEL and C1 controls; the Unicode line/paragraph separators; bidirectional
# embeddings, overrides and isolates (they reorder what follows them on screen).
_OTHER_CONTROLS = "\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ONE_LINE = re.compile(f"[\x00-\x1f{_OTHER_CONTROLS}]")
# A document keeps its line structure: newlines and tabs stay.
_DOCUMENT = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHER_CONTROLS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _one_line(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def escape_control(value: object, *, one_line: bool = True) -> str:
    """``str(value)`` with every control character written as an escape, so that it can neither
    move the cursor, restyle the terminal nor fake extra lines.

    ``one_line`` (table cells, names) escapes newlines and tabs too, as ``\\n`` and ``\\t``;
    otherwise (TOML documents) they stay, and the rest become ``\\uXXXX``, a valid TOML escape
    that reads back as the same character.
    """
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # nearly always, in one pass in C: every character escaped is not
        return text
    if one_line:
        return _ONE_LINE.sub(_one_line, text)
    return _DOCUMENT.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


IEC_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def human_size(size: int) -> str:
    """A byte count in IEC units: ``512 B`` and ``400 GiB`` exactly, ``1.5 KiB`` and ``953.7
    MiB`` to a tenth. A whole number of its unit has no decimal, so ``10.0 GiB`` says that the
    value is near, not exactly, 10 GiB."""
    if size < 0:
        return "-" + human_size(-size)
    if size < 1024:
        return f"{size} B"
    for power, unit in enumerate(IEC_UNITS, start=1):
        value = size / 1024**power
        if round(value, 1) < 1024 or unit == IEC_UNITS[-1]:  # not "1024.0 KiB": the next unit
            whole, rest = divmod(size, 1024**power)
            return f"{whole} {unit}" if rest == 0 else f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 row``, ``2 rows``, ``0 config keys``: a count with its noun in number."""
    return f"{count} {in_number(count, noun, plural)}"


def in_number(count: int, noun: str, plural: str | None = None) -> str:
    """The noun as ``count`` of it is said: ``row`` for 1, ``rows`` for any other count."""
    return noun if count == 1 else plural or noun + "s"


SHORT_ID = 12  # characters of a fingerprint or checksum shown in tables, like `lxc image list`


def elapsed(seconds: float) -> str:
    """A length of time as a person reads it, to the second under an hour: ``42s``,
    ``3m 10s``, ``2h 5m``, ``3d 4h``."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"


def short_id(value: str | None) -> str:
    """The first 12 characters of a fingerprint; empty for None."""
    return "" if not value else value[:SHORT_ID]


def utc_minutes(when: datetime | None) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM`` in UTC; empty for None."""
    if when is None:
        return ""
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M")


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


class JsonText(str):
    """The JSON text of one element of the array ``json_lines`` writes, already written the way
    it writes it (the element's lines indented by two spaces more than the array's): passed
    through as it is. A large kind whose objects have a fixed shape (containers) has them
    written whole by the store's SQL, which costs a fraction of walking each object
    (``Kind.json_texts``)."""

    __slots__ = ()


# What json.dumps escapes (ensure_ascii) that SQLite's json_quote and PostgreSQL's to_json leave
# as it is: DEL and every character beyond ASCII.
_BEYOND_ASCII = re.compile("[^\x00-\x7e]")


def ascii_json(text: str) -> str:
    """JSON text whose strings may hold characters beyond ASCII as they are (as SQL's JSON
    functions write them), with each written as ``json.dumps`` writes it: ``\\u00e9``, a
    surrogate pair beyond the BMP, DEL as ``\\u007f``. JSON's own syntax is ASCII, so every
    such character is inside a string, where its escape means the same character."""
    if text.isascii() and "\x7f" not in text:  # nearly always: two scans in C
        return text
    from json.encoder import encode_basestring_ascii

    return _BEYOND_ASCII.sub(lambda m: encode_basestring_ascii(m.group())[1:-1], text)


_flat_encoders: dict[str, Callable[[Any], str]] = {}


def json_flat(indent: str) -> Callable[[Any], str]:
    """The encoder of a list or an object whose values are all scalars (a config, a device, a
    list of names) as ``json.dumps(value, indent=2)`` writes it inside a document where its
    closing bracket stands at ``indent``: in one call to json's C encoder, its separators
    carrying the newline and the indentation of each item."""
    encode_flat = _flat_encoders.get(indent)
    if encode_flat is not None:
        return encode_flat
    import json

    inner = indent + "  "
    separators = (",\n" + inner, ": ")
    make = json.encoder.c_make_encoder
    if make is None:  # a Python without json's C part
        encode_items = json.JSONEncoder(separators=separators).encode
    else:  # what JSONEncoder.encode calls, without its per-call set-up
        c_encode = make(None, None, json.encoder.encode_basestring_ascii, None,
                        separators[1], separators[0], False, False, True)  # fmt: skip
        encode_items = lambda value: "".join(c_encode(value, 0))  # noqa: E731
    opened, closed = "\n" + inner, "\n" + indent

    def encode_flat(value: Any) -> str:
        if not value:
            return "{}" if type(value) is dict else "[]"
        # the C encoder writes {"a": 1,\n<inner>"b": 2}: open and close its brackets
        text = encode_items(value)
        return text[0] + opened + text[1:-1] + closed + text[-1]

    _flat_encoders[indent] = encode_flat
    return encode_flat


def json_lines(
    objects: Iterable[object], default: Callable[[Any], object] | None = None
) -> Iterator[str]:
    """A JSON array of ``objects``, indented by two spaces, as pieces of text to write as they
    come: the same text as ``json.dumps(list(objects), indent=2, default=default)``, without
    holding the list. An object given as ``JsonText`` is written as it is.

    json's indented encoder is pure Python (its C encoder does not indent), and costs more than
    reading the store. Here a list or an object whose values are all scalars goes through the C
    encoder in one call (``json_flat``); only what nests is walked in Python."""
    import json

    scalars = {str, int, bool, float, type(None)}
    text_keys = {str}
    quote = json.encoder.encode_basestring_ascii  # in C, as json.dumps escapes

    def encode(value: object, indent: str) -> str:
        kind = type(value)
        if kind is str:
            return quote(value)  # type: ignore[arg-type]
        if kind is dict or kind is list:
            if not value:
                return "{}" if kind is dict else "[]"
            inner = indent + "  "
            values = value.values() if kind is dict else value  # type: ignore[union-attr]
            if scalars.issuperset(map(type, values)):
                return json_flat(indent)(value)
            if kind is list or text_keys.issuperset(map(type, value)):  # type: ignore[arg-type]
                items = []
                for key, item in value.items() if kind is dict else enumerate(value):  # type: ignore[union-attr]
                    text = quote(item) if type(item) is str else encode(item, inner)
                    items.append(quote(key) + ": " + text if kind is dict else text)
                ends = "{}" if kind is dict else "[]"
                return (
                    ends[0] + "\n" + inner + (",\n" + inner).join(items) + "\n" + indent + ends[1]
                )
        elif value is None or kind is bool:
            return "null" if value is None else "true" if value else "false"
        elif kind is int:
            return int.__repr__(value)  # type: ignore[arg-type]
        # a float, a date, a tuple, keys that are not text: json itself, re-indented (a JSON
        # string holds no raw newline, so each newline starts a line)
        return json.dumps(value, indent=2, default=default).replace("\n", "\n" + indent)

    first = True
    for obj in objects:
        text = obj if type(obj) is JsonText else encode(obj, "  ")
        yield ("[\n  " if first else ",\n  ") + text  # type: ignore[operator]
        first = False
    yield "[]" if first else "\n]"
