"""Log line parsing speed, measured: ``pytest -m perf tests/perf/test_parse_speed.py -s``.

Issue 14 asks for >= 100,000 lines/s end to end (tail, parse, SQLite inserts) on this 2-core
machine: 10 us a line, of which parsing should take at most half. Over 200,000 generated lines
in the mix of a busy node (auth.log's sshd failures, invalid users, logins, pam and sudo lines;
syslog's systemd, cron and kernel firewall lines; fail2ban.log), each file's lines through a
``Parser`` of its format, the events kept in batches of 5,000 as the store receives them (their
allocation and the garbage collector's passes over them count). CPU time, best of 3 runs.
Printed: lines/s, against the baseline of the same run, the format's header regex alone matched
on each line (the least any parser of these formats does), and the ratio; the target, >=
200,000 lines/s (5 us a line), with PASS/FAIL. Asserted: >= 150,000 lines/s and within 12x of
the baseline, since this shared machine's timings vary 2x from run to run. Measured under a load
of 7 on the 2 cores: 225,000-230,000 lines/s, 9x (without keeping the events: 270,000-310,000).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.collect.logs.parse import _HEADERS, Parser

pytestmark = pytest.mark.perf

LINES = 200_000
RUNS = 3
BATCH = 5000
TARGET_LINES_PER_S = 200_000  # printed with PASS/FAIL
ASSERTED_LINES_PER_S, ASSERTED_RATIO = 150_000, 12.0
START = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
TZ = ZoneInfo("Europe/Berlin")

USERS = ("root", "admin", "bob.smith", "x-y", "git", "svc$", "a@b", "ubuntu", "test_1")
IPS = ("1.2.3.4", "203.0.113.77", "2001:db8::1", "2001:db8:85a3::8a2e:370:7334", "::ffff:10.0.0.1")
SYSLOG = (  # the message after "host prog[pid]: ", by weight
    (30, "sshd", "Failed password for {user} from {ip} port {port} ssh2"),
    (20, "sshd", "Failed password for invalid user {user} from {ip} port {port} ssh2"),
    (12, "sshd", "Invalid user {user} from {ip} port {port}"),
    (6, "sshd", "Connection closed by authenticating user {user} {ip} port {port} [preauth]"),
    (
        6,
        "sshd",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
        "ruser= rhost={ip}  user={user}",
    ),  # fmt: skip
    (3, "sshd", "Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:abc"),
    (3, "sshd", "pam_unix(sshd:session): session opened for user {user}(uid=1000) by (uid=0)"),
    (2, "sudo", "   {user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/ls"),
    (8, "CRON", "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)"),
    (8, "systemd", "Started Session {port} of User {user}."),
    (1, "systemd", "foo.service: Failed with result 'exit-code'."),
    (
        12,
        "kernel",
        "[12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:"
        "08:00 SRC={ip} DST=10.0.0.2 LEN=40 TOS=0x00 PREC=0x00 TTL=244 ID=54321 "
        "PROTO=TCP SPT={port} DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0",
    ),  # fmt: skip
    (1, "kernel", "Out of memory: Killed process {port} (java) total-vm:8000000kB"),
)
FAIL2BAN = (
    (10, "fail2ban.filter", "INFO", "[sshd] Found {ip} - 2026-03-01 10:00:00"),
    (3, "fail2ban.actions", "NOTICE", "[sshd] Ban {ip}"),
    (2, "fail2ban.actions", "NOTICE", "[sshd] Unban {ip}"),
    (1, "fail2ban.actions", "WARNING", "[sshd] {ip} already banned"),
)


def generated(seed: int = 14) -> tuple[list[str], list[str]]:
    """auth.log/syslog lines (RFC 3164) and fail2ban.log lines, ~85% and ~15% of LINES, times
    increasing as a log's do."""
    rng = random.Random(seed)
    syslog_weights = [w for w, *_ in SYSLOG]
    f2b_weights = [w for w, *_ in FAIL2BAN]
    syslog, fail2ban = [], []
    for i in range(LINES):
        when = datetime.fromtimestamp(START + i // 20, TZ)
        fill = {"user": rng.choice(USERS), "ip": rng.choice(IPS), "port": rng.randrange(1, 65535)}
        if i % 7:
            _, program, text = rng.choices(SYSLOG, syslog_weights)[0]
            pid = "" if program == "kernel" else f"[{rng.randrange(100, 99999)}]"
            stamp = when.strftime("%b %d %H:%M:%S").replace(" 0", "  ", 1)
            syslog.append(f"{stamp} node1 {program}{pid}: {text.format(**fill)}")
        else:
            _, logger, level, text = rng.choices(FAIL2BAN, f2b_weights)[0]
            stamp = when.strftime("%Y-%m-%d %H:%M:%S") + f",{i % 1000:03d}"
            fail2ban.append(f"{stamp} {logger:<24}[812]: {level:<8} {text.format(**fill)}")
    return syslog, fail2ban


def test_parse_speed_against_the_header_regex_alone():
    files = dict(zip(("rfc3164", "fail2ban"), generated(), strict=True))
    total = sum(len(lines) for lines in files.values())
    now = START + LINES  # after the last line, as when a log is read
    parsed, baseline = [], []
    for _ in range(RUNS):  # alternate: both see the same machine
        began = time.process_time()
        for fmt, lines in files.items():
            parse = Parser(fmt, TZ, now).parse
            for start in range(0, len(lines), BATCH):
                batch = [parse(line) for line in lines[start : start + BATCH]]
        parsed.append(time.process_time() - began)
        assert len(batch) > 0
        began = time.process_time()
        for fmt, lines in files.items():
            match = _HEADERS[fmt].match
            for line in lines:
                match(line)
        baseline.append(time.process_time() - began)
    # What was parsed is what was generated: every line understood, none raw.
    for fmt, lines in files.items():
        parser = Parser(fmt, TZ, now)
        events = [parser.parse(line) for line in lines[:2000]]
        assert all(e.metadata is None or "time" not in e.metadata for e in events)
        assert all(e.program for e in events)
    rate, base_rate = total / min(parsed), total / min(baseline)
    ratio = base_rate / rate
    print(f"\nparsing {total:,} generated lines (CPU time, best of {RUNS})")
    print(f"{'Parser.parse':<44} {rate:>14,.0f} l/s  {1e6 / rate:.2f} us a line, {ratio:.1f}x")
    print(f"{'header regex alone (baseline)':<44} {base_rate:>14,.0f} l/s  1.0x")
    ok = rate >= TARGET_LINES_PER_S
    print(f"target: >= {TARGET_LINES_PER_S:,} lines/s: {'PASS' if ok else 'FAIL'}")
    assert rate >= ASSERTED_LINES_PER_S
    assert ratio <= ASSERTED_RATIO
