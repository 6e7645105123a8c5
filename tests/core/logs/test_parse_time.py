"""Each event's time comes from its line, in UTC: RFC 3164 lines (no year, no zone) in the
node's zone and the year that puts them not in the future, across December to January and
February 29th; daylight saving changes in Europe/Berlin; offsets of RFC 5424 and ISO-8601 lines;
fail2ban's local times; and lines whose time is missing or impossible."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.collect.logs.parse import Parser

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, tz=BERLIN) -> float:
    """Unix seconds of ``YYYY-MM-DD hh:mm:ss`` in ``tz``."""
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


def utc(text: str) -> int:
    return int(at(text, UTC))


def stamp(line: str, fmt: str = "rfc3164", now: float | None = None, tz=BERLIN) -> int:
    return Parser(fmt, tz, now).parse(line).timestamp


# --- the year of an RFC 3164 line ---------------------------------------------------------------


def test_a_december_31st_line_read_on_january_1st_is_from_last_year():
    now = at("2027-01-01 00:00:30")
    line = "Dec 31 23:59:59 web1 app[1]: last of the year"
    assert stamp(line, now=now) == utc("2026-12-31 22:59:59")


def test_a_january_1st_line_read_on_january_1st_is_from_this_year():
    now = at("2027-01-01 00:00:30")
    assert stamp("Jan  1 00:00:10 web1 app[1]: first", now=now) == utc("2026-12-31 23:00:10")


def test_one_parser_reads_lines_on_both_sides_of_new_year_each_in_its_own_year():
    parser = Parser("rfc3164", BERLIN, at("2027-01-01 00:05:00"))
    before = parser.parse("Dec 31 23:59:59 web1 app[1]: old").timestamp
    after = parser.parse("Jan  1 00:00:01 web1 app[1]: new").timestamp
    assert after - before == 2


def test_a_line_from_a_clock_a_few_minutes_fast_at_new_year_is_next_year_not_last():
    now = at("2026-12-31 23:58:00")  # another host's clock is 3 minutes ahead
    assert stamp("Jan  1 00:01:00 web1 app[1]: early", now=now) == utc("2026-12-31 23:01:00")


def test_a_line_more_than_a_day_ahead_of_now_is_from_last_year():
    now = at("2026-06-15 12:00:00")
    assert stamp("Jun 15 20:00:00 web1 app[1]: x", now=now) == utc("2026-06-15 18:00:00")
    assert stamp("Jun 17 12:00:00 web1 app[1]: x", now=now) == utc("2025-06-17 10:00:00")


def test_february_29th_takes_the_latest_leap_year_not_in_the_future():
    now = at("2026-03-01 12:00:00")
    assert stamp("Feb 29 12:00:00 web1 app[1]: leap", now=now) == utc("2024-02-29 11:00:00")


def test_an_impossible_date_gets_the_read_time_and_says_its_time_is_missing():
    now = at("2026-06-15 12:00:00")
    event = Parser("rfc3164", BERLIN, now).parse("Feb 30 12:00:00 web1 app[1]: no such day")
    assert event.timestamp == int(now)
    assert event.metadata == {"time": "missing"}
    assert event.program == "app" and event.message == "no such day"


# --- the node's zone, daylight saving -----------------------------------------------------------


def test_rfc3164_lines_are_read_in_the_nodes_zone_summer_and_winter():
    now = at("2026-12-01 00:00:00")
    assert stamp("Jul  1 12:00:00 h app: summer", now=now) == utc("2026-07-01 10:00:00")
    assert stamp("Nov 15 12:00:00 h app: winter", now=now) == utc("2026-11-15 11:00:00")
    assert stamp("Nov 15 12:00:00 h app: winter", now=now, tz=UTC) == utc("2026-11-15 12:00:00")


def test_the_spring_forward_change_leaves_one_second_between_its_two_sides():
    parser = Parser("rfc3164", BERLIN, at("2026-04-01 00:00:00"))
    before = parser.parse("Mar 29 01:59:59 h app: before").timestamp
    after = parser.parse("Mar 29 03:00:00 h app: after").timestamp
    assert (before, after) == (utc("2026-03-29 00:59:59"), utc("2026-03-29 01:00:00"))


def test_a_time_in_the_spring_gap_is_read_with_the_offset_before_the_change():
    now = at("2026-04-01 00:00:00")
    assert stamp("Mar 29 02:30:00 h app: gap", now=now) == utc("2026-03-29 01:30:00")


def test_an_ambiguous_autumn_time_takes_its_first_occurrence():
    now = at("2026-11-01 00:00:00")
    assert stamp("Oct 25 02:30:00 h app: twice", now=now) == utc("2026-10-25 00:30:00")
    assert stamp("Oct 25 03:30:00 h app: after", now=now) == utc("2026-10-25 02:30:00")


def test_fail2ban_times_are_local_and_drop_their_milliseconds():
    line = "2026-07-01 12:00:00,999 fail2ban.actions [1]: NOTICE [sshd] Ban 1.2.3.4"
    assert stamp(line, "fail2ban") == utc("2026-07-01 10:00:00")
    line = "2026-01-15 12:00:00,001 fail2ban.actions [1]: NOTICE [sshd] Ban 1.2.3.4"
    assert stamp(line, "fail2ban") == utc("2026-01-15 11:00:00")


# --- lines that carry their offset --------------------------------------------------------------


def test_iso8601_offsets_are_converted_to_utc_whatever_the_nodes_zone():
    for line, expected in [
        ("2026-07-01T12:00:00+05:30 h app: x", "2026-07-01 06:30:00"),
        ("2026-07-01T12:00:00-0800 h app: x", "2026-07-01 20:00:00"),
        ("2026-07-01T12:00:00Z h app: x", "2026-07-01 12:00:00"),
        ("2026-07-01T12:00:00.999999+00:00 h app: x", "2026-07-01 12:00:00"),
        ("2026-12-31T23:30:00-01:00 h app: x", "2027-01-01 00:30:00"),
    ]:
        assert stamp(line, "iso8601") == utc(expected), line


def test_an_iso8601_line_without_an_offset_is_in_the_nodes_zone():
    assert stamp("2026-07-01T12:00:00.25 h app: x", "iso8601") == utc("2026-07-01 10:00:00")


def test_rfc5424_timestamps_with_fractions_and_offsets():
    line = "<13>1 2026-03-29T03:00:00.123456+02:00 h app 1 - - after the change"
    assert stamp(line, "rfc5424") == utc("2026-03-29 01:00:00")
    assert stamp("<13>1 2026-03-29T00:59:59Z h app 1 - - x", "rfc5424") == utc(
        "2026-03-29 00:59:59"
    )


def test_an_rfc5424_nil_timestamp_gets_the_read_time_and_says_so():
    now = at("2026-06-15 12:00:00")
    event = Parser("rfc5424", BERLIN, now).parse("<13>1 - h app 1 - - no time here")
    assert (event.timestamp, event.metadata) == (int(now), {"time": "missing"})
    assert event.message == "no time here"


def test_without_a_fixed_now_a_line_without_time_gets_the_clock():
    before = time.time()
    event = Parser("rfc3164", BERLIN).parse("no header at all")
    assert int(before) <= event.timestamp <= time.time()
    assert event.metadata == {"time": "missing"}


def test_without_a_fixed_now_an_rfc3164_line_is_never_a_year_ahead():
    line = datetime.now(BERLIN).strftime("%b %d %H:%M:%S") + " h app: now"
    assert abs(Parser("rfc3164", BERLIN).parse(line).timestamp - time.time()) < 120


def test_continuation_lines_without_a_time_take_the_time_of_the_line_before():
    now = at("2026-06-15 12:00:00")
    parser = Parser("iso8601", BERLIN, now)
    first = parser.parse("2026-06-14T03:00:00Z web1 app[7]: Traceback (most recent call last):")
    lines = ['  File "app.py", line 3, in <module>', "ZeroDivisionError: division by zero"]
    for line in lines:
        event = parser.parse(line)
        assert (event.timestamp, event.metadata) == (first.timestamp, {"time": "previous"})
        assert event.message == line
    later = parser.parse("2026-06-14T03:00:05Z web1 app[7]: recovered")
    assert later.timestamp == first.timestamp + 5 and later.metadata is None


def test_a_leading_time_followed_by_utc_is_read_as_utc_not_in_the_nodes_zone():
    line = "2026-06-14 03:09:57.123 UTC [2246] LOG:  database system is ready"
    event = Parser("rfc3164", BERLIN, at("2026-06-15 12:00:00")).parse(line)
    assert event.timestamp == utc("2026-06-14 03:09:57")
    assert event.message == "[2246] LOG:  database system is ready"


def test_a_day_of_the_month_padded_with_a_space_a_zero_or_nothing_is_the_same_day():
    now = at("2026-06-15 12:00:00")
    expected = utc("2026-06-04 01:02:03")
    for day in ("Jun  4", "Jun 04", "Jun 4"):
        event = Parser("rfc3164", BERLIN, now).parse(f"{day} 03:02:03 web1 app[1]: x")
        assert (event.timestamp, event.host, event.program) == (expected, "web1", "app"), day
