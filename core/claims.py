"""A claim set (seed 000's ``users``): a non-empty list of claims (``["user1", "subject2"]``),
stored as the compact JSON of its sorted unique claims, so that the same set in another order or
with duplicates is the same key. The services store keys bindings with it; the server config's
``users.current`` (core.settings) holds one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from . import validate
from .errors import ValidationError

CLAIMS_MAX = 1024  # the users column is a VARCHAR(1024)


def canonical_claims(claims: object, field: str = "users") -> str:
    """The stored key of a claim set: JSON of the sorted unique claims, compact.

    ``["b", "a", "b"]`` and ``["a", "b"]`` are the same key, ``'["a","b"]'``. A claim set is a
    non-empty list of non-empty strings without control characters; a bare string is refused
    (it is one claim set of one claim: write ``["user1"]``).
    """
    if isinstance(claims, str | bytes | Mapping) or not isinstance(claims, Iterable):
        raise ValidationError(field, claims, 'must be a list of strings, such as ["user1"]')
    items = list(claims)
    if not items:
        raise ValidationError(field, items, "must name at least one claim")
    for claim in items:
        if not isinstance(claim, str) or not claim:
            raise ValidationError(field, items, f"has {claim!r}: each claim is a non-empty string")
        if validate.bad_char(claim, whitespace=True) is not None:
            raise ValidationError(
                field, items, f"has {claim!r}: control characters are not allowed"
            )
    key = json.dumps(sorted(set(items)), separators=(",", ":"), ensure_ascii=False)
    if len(key) > CLAIMS_MAX:
        raise ValidationError(field, items, f"is longer than {CLAIMS_MAX} characters once stored")
    return key


def json_list(text: str, field: str) -> object:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        raise ValidationError(
            field, text, 'is not a JSON list of strings, such as ["user1"]'
        ) from None


def parse_claims(text: str, field: str = "users") -> list[str]:
    """The claims of a JSON list (a stored key or a user's ``--users``), canonically ordered."""
    return json.loads(canonical_claims(json_list(text, field), field))
