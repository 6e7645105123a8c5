"""A log line is written by whoever can reach syslog (``logger -t kernel ...``), so a long line
built to make a pattern backtrack must still parse in time linear in its length: each of these
100 KB lines, in front of every program's rules, within a fraction of a second."""

from __future__ import annotations

import time
from datetime import UTC

import pytest

from core.collect.logs.parse import FORMATS, Parser

SIZE = 100_000
PROGRAMS = ("sshd[1]", "sudo", "kernel", "systemd[1]", "fail2ban.actions[1]", "app[1]")
PIECES = (
    "a", "1.", ":", "a:", " port", "1 port ", "Failed password for ", " from ", "invalid user ",
    "authentication failure; ", "pam_x(", "rhost=", " : ", "COMMAND=", " ; ", "IN=", " SRC=",
    "I/O error", "(device ", "error, dev ", "Out of memory: Kill process 1 (", "oom-kill:",
    "task=", "Failed to start ", "x.service", ".service: ", "Unit ", "[", "]", "[sshd] ",
    "message repeated 1 times: [ ", "<", "1 ", "-", " ", "\x00", "\ufffd",
)  # fmt: skip


@pytest.mark.parametrize("piece", PIECES)
def test_a_long_line_of_one_repeated_piece_parses_in_linear_time(piece):
    body = piece * (SIZE // len(piece))
    parsers = [Parser(fmt, UTC, 1_781_500_000.0) for fmt in FORMATS]
    lines = [body] + [f"Jun 14 03:12:01 web1 {program}: {body}" for program in PROGRAMS]
    started = time.process_time()
    for line in lines:
        for parser in parsers:
            assert parser.parse(line).message
    assert time.process_time() - started < 0.5 * len(lines)


@pytest.mark.parametrize(
    "template",
    [
        "Jun 14 03:12:01 h sshd[1]: Failed password for root from 1.2.3.4 port {} ssh2",
        "Jun 14 03:12:01 h sshd[1]: Invalid user x from 1.2.3.4 port {}",
        "Jun 14 03:12:01 h sshd[1]: Accepted password for x from 1.2.3.4 port {} ssh2",
        "Jun 14 03:12:01 h sshd[1]: Connection closed by 1.2.3.4 port {}",
        "Jun 14 03:12:01 h kernel: [UFW BLOCK] IN=eth0 SRC=1.2.3.4 SPT={} DPT={}",
        "Jun 14 03:12:01 h kernel: I/O error, dev sda, sector {}",
        "Jun 14 03:12:01 h kernel: Out of memory: Killed process {} (x)",
        "Jun 14 03:12:01 h kernel: oom-kill:x,task=y,pid={},uid=0",
        "Jun 14 03:12:01 h app[1]: message repeated {} times: [ x]",
        "Jun 14 03:12:01 h sshd[1]: pam_unix(sshd:auth): authentication failure; uid={} rhost=",
        "<13>1 2026-06-14T03:12:01Z h app {} - - x",
        "Jun 14 03:12:01 h app[{}]: x",
    ],
)
def test_a_number_longer_than_int_reads_is_no_number_and_no_error(template):
    """int() refuses more than 4,300 digits: a field of 5,000 is kept as text or left out."""
    line = template.format(*["9" * 5000] * template.count("{}"))
    event = Parser("rfc3164", UTC, 1_781_500_000.0).parse(line)
    assert "parse_error" not in (event.metadata or {})
    assert all(not isinstance(v, int) or v < 10**20 for v in (event.metadata or {}).values())
