"""Times as admins type them for --since/--until: ISO-8601, relative, today/yesterday."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.errors import ValidationError
from core.times import parse_time

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 29, 12, 0, tzinfo=UTC).timestamp()  # the day Berlin's clocks go forward


def at(text: str, zone=BERLIN) -> datetime:
    return datetime.fromtimestamp(parse_time(text, now=NOW, zone=zone), UTC)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("now", datetime(2026, 3, 29, 12, 0)),
        ("-1h", datetime(2026, 3, 29, 11, 0)),
        ("1h", datetime(2026, 3, 29, 11, 0)),
        ("-30m", datetime(2026, 3, 29, 11, 30)),
        ("-2d", datetime(2026, 3, 27, 12, 0)),
        ("-1w", datetime(2026, 3, 22, 12, 0)),
        ("-90s", datetime(2026, 3, 29, 11, 58, 30)),
        ("today", datetime(2026, 3, 28, 23, 0)),  # local midnight, still winter time (+01:00)
        ("yesterday", datetime(2026, 3, 27, 23, 0)),
        ("2026-03-29T14:30:00+02:00", datetime(2026, 3, 29, 12, 30)),
        ("2026-03-29T12:30:00Z", datetime(2026, 3, 29, 12, 30)),
        ("2026-03-29 14:30", datetime(2026, 3, 29, 12, 30)),  # local: summer time by then
        ("2026-03-20", datetime(2026, 3, 19, 23, 0)),
    ],
)
def test_each_form_is_read_in_the_nodes_zone(text, expected):
    assert at(text) == expected.replace(tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "last tuesday", "-1y", "2026-13-01", "h1"])
def test_anything_else_is_an_error_naming_the_option_and_the_forms(text):
    with pytest.raises(ValidationError) as caught:
        parse_time(text, now=NOW, zone=UTC, option="--since")
    assert str(caught.value).startswith("--since: ") and "relative (-1h" in str(caught.value)
