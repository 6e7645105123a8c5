"""Which format a file is in, from its first lines; the names ``--format`` accepts; and lines of
another format (or none) in a file, each still one event."""

from __future__ import annotations

from datetime import UTC

import pytest

from core.collect.logs.parse import FORMATS, Parser, detect_format

NOW = 1_781_500_000.0  # 2026-06-15

SAMPLES = {
    "rfc3164": [
        "Jun 14 03:12:01 web1 sshd[2201]: Failed password for root from 1.2.3.4 port 22 ssh2",
        "Jun 14 03:12:02 web1 CRON[901]: (root) CMD (run-parts /etc/cron.hourly)",
        "<34>Jun 14 03:12:03 web1 su: 'su root' failed for lonvick on /dev/pts/8",
    ],
    "rfc5424": [
        '<165>1 2026-06-14T22:14:15.003Z host.example.com evntslog - ID47 [ex@32473 iut="3"] hi',
        "<13>1 2026-06-14T22:14:16+02:00 host app 123 - - started",
    ],
    "iso8601": [
        "2026-06-14T03:19:00.123456+02:00 web1 sshd[2201]: Invalid user oracle from 1.2.3.4",
        "2026-06-14T03:19:01Z web1 systemd[1]: Started Session 4 of User root.",
    ],
    "fail2ban": [
        "2026-06-14 03:15:00,123 fail2ban.filter         [1234]: INFO    [sshd] Found 1.2.3.4",
        "2026-06-14 03:15:01,124 fail2ban.actions        [1234]: NOTICE  [sshd] Ban 1.2.3.4",
        "2026-06-14 03:15:02,125 fail2ban.server         [1234]: INFO    Starting Fail2ban v1.0",
    ],
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_detect_format_names_the_format_of_a_files_first_lines(fmt):
    assert detect_format(SAMPLES[fmt]) == fmt


def test_detect_format_goes_by_most_lines_and_skips_blank_ones():
    lines = ["", "   \n", SAMPLES["fail2ban"][0], *SAMPLES["rfc3164"], "garbage"]
    assert detect_format(lines) == "rfc3164"


def test_detect_format_reads_lines_with_their_newlines():
    assert detect_format([line + "\n" for line in SAMPLES["iso8601"]]) == "iso8601"


def test_detect_format_falls_back_to_rfc3164_when_no_line_fits_any_format():
    assert detect_format(["plain text", "more text"]) == "rfc3164"
    assert detect_format([]) == "rfc3164"


def test_a_bad_format_name_is_refused_naming_it_and_the_accepted_ones():
    with pytest.raises(ValueError, match=r"'rfc9999'.*rfc3164, rfc5424, iso8601, fail2ban"):
        Parser("rfc9999", UTC)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_parser_reads_lines_of_every_other_format_too(fmt):
    parser = Parser(fmt, UTC, NOW)
    for other, lines in SAMPLES.items():
        for line in lines:
            event = parser.parse(line)
            assert event.metadata is None or "time" not in event.metadata, (other, line)
            assert event.program is not None, (other, line)


def test_a_line_in_no_format_is_one_event_with_its_raw_text():
    event = Parser("fail2ban", UTC, NOW).parse("Traceback (most recent call last):")
    assert event.message == "Traceback (most recent call last):"
    assert (event.timestamp, event.metadata) == (int(NOW), {"time": "missing"})
    assert (event.program, event.host, event.action) == (None, None, None)
