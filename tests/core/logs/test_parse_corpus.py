"""A corpus of log lines in the shapes real daemons write them, each with the fields its event
must have: one per rule (sshd, pam_unix, sudo, fail2ban, UFW/iptables, the OOM killer, systemd,
block I/O errors), each header format, and the lines no rule understands (garbage, control
characters, bytes that were not UTF-8), which are kept whole as their message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.collect.logs.parse import Event, Parser

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC).timestamp()


def utc(text: str) -> int:
    """Unix seconds of ``YYYY-MM-DD hh:mm:ss`` in UTC."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def parsed(fmt: str, line: str) -> Event:
    return Parser(fmt, UTC, NOW).parse(line)


# (format, line, the fields the event must have: a subset, compared exactly)
CORPUS = [
    # --- sshd ---------------------------------------------------------------------------------
    (
        "rfc3164",
        "Jun 14 03:12:01 web1 sshd[2201]: Failed password for root from 1.2.3.4 port 52311 ssh2",
        dict(
            timestamp=utc("2026-06-14 03:12:01"),
            host="web1",
            program="sshd",
            pid=2201,
            message="Failed password for root from 1.2.3.4 port 52311 ssh2",
            action="login_failed",
            ip="1.2.3.4",
            user="root",
            level="warning",
            metadata={"method": "password", "port": 52311},
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:12:02 web1 sshd[2201]: Failed password for invalid user bob.smith from "
        "2001:db8::1 port 22 ssh2",
        dict(
            action="login_failed",
            user="bob.smith",
            ip="2001:db8::1",
            metadata={"method": "password", "invalid_user": 1, "port": 22},
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:12:03 web1 sshd[2201]: Failed publickey for deploy-bot from "
        "2001:db8:85a3:0000:0000:8a2e:0370:7334 port 40022 ssh2: RSA SHA256:AbCdEf0123",
        dict(
            action="login_failed",
            user="deploy-bot",
            ip="2001:db8:85a3:0000:0000:8a2e:0370:7334",
            metadata={"method": "publickey", "port": 40022},
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:12:04 web1 sshd[2201]: Failed keyboard-interactive/pam for invalid user "
        "svc$ from fe80::1%eth0 port 22 ssh2",
        dict(
            action="login_failed",
            user="svc$",
            ip="fe80::1%eth0",
            metadata={"method": "keyboard-interactive/pam", "invalid_user": 1, "port": 22},
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:12:05 web1 sshd[2201]: Failed password for invalid user  from "
        "::ffff:198.51.100.7 port 22 ssh2",
        dict(action="login_failed", user=None, ip="::ffff:198.51.100.7"),
    ),
    (
        "rfc3164",  # an attacker's "user name" may hold spaces and even " from "
        "Jun 14 03:12:06 web1 sshd[2201]: Failed password for invalid user a from b "
        "from 203.0.113.9 port 22 ssh2",
        dict(action="login_failed", user="a from b", ip="203.0.113.9"),
    ),
    (
        "rfc3164",
        "Jun 14 03:12:07 web1 sshd[2201]: Invalid user x-y from 203.0.113.9 port 4022",
        dict(
            action="invalid_user",
            user="x-y",
            ip="203.0.113.9",
            level="warning",
            metadata={"port": 4022},
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:12:08 web1 sshd[2201]: Invalid user alice@example.com from 2001:db8::2",
        dict(action="invalid_user", user="alice@example.com", ip="2001:db8::2", metadata=None),
    ),
    (
        "rfc3164",
        "Jun 14 03:12:09 web1 sshd[2201]: Accepted publickey for first.last from "
        "192.0.2.10 port 50514 ssh2: ED25519 SHA256:Zm9vYmFy",
        dict(
            action="login_accepted",
            user="first.last",
            ip="192.0.2.10",
            level="info",
            metadata={"method": "publickey", "port": 50514},
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:12:10 web1 sshd-session[7781]: Accepted password for a_b-c.d from "
        "2001:db8::10 port 22 ssh2",
        dict(
            program="sshd-session",
            pid=7781,
            action="login_accepted",
            user="a_b-c.d",
            ip="2001:db8::10",
            metadata={"method": "password", "port": 22},
        ),
    ),
    (
        "rfc3164",  # UseDNS: a host name where the address goes; not an ip
        "Jun 14 03:12:11 web1 sshd[2201]: Failed password for root from scanner.example.net "
        "port 22 ssh2",
        dict(
            action="login_failed",
            ip=None,
            metadata={"method": "password", "port": 22, "rhost": "scanner.example.net"},
        ),
    ),
    (
        "rfc3164",  # rsyslog's repeat compression: the inner message is read
        "Jun 14 03:12:12 web1 sshd[2201]: message repeated 5 times: [ Failed password for root "
        "from 1.2.3.4 port 22 ssh2]",
        dict(
            action="login_failed",
            user="root",
            ip="1.2.3.4",
            metadata={"repeated": 5, "method": "password", "port": 22},
        ),
    ),
    (
        "rfc3164",  # sshd's own level word
        "Jun 14 03:12:13 web1 sshd[2201]: error: kex_exchange_identification: Connection closed "
        "by remote host",
        dict(action=None, level="error", ip=None),
    ),
    (
        "rfc3164",  # a peer named without an action: its address, port and user
        "Jun 14 03:12:14 web1 sshd[2201]: Connection closed by authenticating user root "
        "1.2.3.4 port 22 [preauth]",
        dict(action=None, level="info", ip="1.2.3.4", user="root", metadata={"port": 22}),
    ),
    (
        "rfc3164",
        "Jun 14 03:12:15 web1 sshd[2201]: Disconnected from invalid user x.y-z 2001:db8::5 "
        "port 40000 [preauth]",
        dict(action=None, ip="2001:db8::5", user="x.y-z", metadata={"port": 40000}),
    ),
    (
        "rfc3164",
        "Jun 14 03:12:16 web1 sshd[2201]: Received disconnect from 203.0.113.5 port 5022:11: "
        "Bye Bye [preauth]",
        dict(action=None, ip="203.0.113.5", user=None, metadata={"port": 5022}),
    ),
    (
        "rfc3164",  # sshd's own address is no peer's
        "Jun 14 03:12:17 web1 sshd[2201]: Server listening on 0.0.0.0 port 22.",
        dict(action=None, ip=None, metadata=None),
    ),
    # --- pam_unix -----------------------------------------------------------------------------
    (
        "rfc3164",
        "Jun 14 03:13:00 web1 sshd[2300]: pam_unix(sshd:auth): authentication failure; logname= "
        "uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=alice",
        dict(
            action="auth_failure",
            ip="1.2.3.4",
            user="alice",
            level="warning",
            metadata={"service": "sshd:auth", "tty": "ssh", "uid": 0},
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:13:01 web1 login[812]: pam_unix(login:auth): authentication failure; "
        "logname=LOGIN uid=0 euid=0 tty=/dev/tty1 ruser= rhost=",
        dict(
            program="login",
            action="auth_failure",
            ip=None,
            user=None,
            metadata={"service": "login:auth", "tty": "/dev/tty1", "uid": 0},
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:13:02 web1 sudo: pam_unix(sudo:auth): authentication failure; logname=bob "
        "uid=1000 euid=0 tty=/dev/pts/1 ruser=bob rhost=  user=bob",
        dict(
            program="sudo",
            pid=None,
            action="auth_failure",
            user="bob",
            metadata={"service": "sudo:auth", "tty": "/dev/pts/1", "ruser": "bob", "uid": 1000},
        ),
    ),
    # --- sudo ---------------------------------------------------------------------------------
    (
        "rfc3164",
        "Jun 14 03:14:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
        "COMMAND=/bin/ls -la /root",
        dict(
            program="sudo",
            action="sudo",
            user="alice",
            level="notice",
            metadata={
                "command": "/bin/ls -la /root",
                "tty": "pts/0",
                "pwd": "/home/alice",
                "target_user": "root",
            },
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:14:01 web1 sudo:      bob : 3 incorrect password attempts ; TTY=pts/1 ; "
        "PWD=/tmp ; USER=root ; COMMAND=/usr/bin/id",
        dict(
            action="sudo",
            user="bob",
            level="warning",
            metadata={
                "command": "/usr/bin/id",
                "reason": "3 incorrect password attempts",
                "tty": "pts/1",
                "pwd": "/tmp",
                "target_user": "root",
            },
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:14:02 web1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) "
        "by alice(uid=1000)",
        dict(action=None, user=None, level="info"),
    ),
    # --- fail2ban, in its own file and through syslog -----------------------------------------
    (
        "fail2ban",
        "2026-06-14 03:15:00,123 fail2ban.filter         [1234]: INFO    [sshd] Found 1.2.3.4 - "
        "2026-06-14 03:14:59",
        dict(
            timestamp=utc("2026-06-14 03:15:00"),
            program="fail2ban.filter",
            pid=1234,
            host=None,
            level="info",
            action="found",
            ip="1.2.3.4",
            metadata={"jail": "sshd"},
            message="[sshd] Found 1.2.3.4 - 2026-06-14 03:14:59",
        ),
    ),
    (
        "fail2ban",
        "2026-06-14 03:15:01,124 fail2ban.actions        [1234]: NOTICE  [sshd] Ban 1.2.3.4",
        dict(
            level="notice",
            action="ban",
            ip="1.2.3.4",
            metadata={"jail": "sshd"},
            message="[sshd] Ban 1.2.3.4",
        ),
    ),
    (
        "fail2ban",
        "2026-06-14 03:15:02,125 fail2ban.actions        [1234]: NOTICE  [nginx-http-auth] Unban "
        "2001:db8::dead:beef",
        dict(action="unban", ip="2001:db8::dead:beef", metadata={"jail": "nginx-http-auth"}),
    ),
    (
        "fail2ban",
        "2026-06-14 03:15:03,126 fail2ban.actions        [1234]: NOTICE  [sshd] Restore Ban "
        "1.2.3.4",
        dict(action="ban_restored", ip="1.2.3.4", metadata={"jail": "sshd"}),
    ),
    (
        "fail2ban",
        "2026-06-14 03:15:04,127 fail2ban.actions        [1234]: WARNING [sshd] 1.2.3.4 already "
        "banned",
        dict(level="warning", action="already_banned", ip="1.2.3.4", metadata={"jail": "sshd"}),
    ),
    (
        "fail2ban",
        "2026-06-14 03:15:05,128 fail2ban.server         [1234]: INFO    Starting Fail2ban v1.0.2",
        dict(level="info", action=None, message="Starting Fail2ban v1.0.2"),
    ),
    (
        "fail2ban",
        "2026-06-14 03:15:06,129 fail2ban.transmitter    [1234]: ERROR   Command ['status'] has "
        "failed",
        dict(level="error", action=None),
    ),
    (
        "rfc3164",
        "Jun 14 03:15:07 web1 fail2ban.actions[1234]: NOTICE [sshd] Ban 1.2.3.4",
        dict(
            program="fail2ban.actions",
            pid=1234,
            level="notice",
            action="ban",
            ip="1.2.3.4",
            metadata={"jail": "sshd"},
        ),
    ),
    # --- kernel: firewall, OOM, I/O -----------------------------------------------------------
    (
        "rfc3164",
        "Jun 14 03:16:00 web1 kernel: [1234567.891011] [UFW BLOCK] IN=eth0 OUT= "
        "MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=198.51.100.23 DST=10.0.0.2 LEN=40 TOS=0x00 "
        "PREC=0x00 TTL=244 ID=54321 PROTO=TCP SPT=51234 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0",
        dict(
            program="kernel",
            pid=None,
            action="firewall_block",
            ip="198.51.100.23",
            level="warning",
            metadata={
                "rule": "UFW BLOCK",
                "dst": "10.0.0.2",
                "proto": "TCP",
                "spt": 51234,
                "dpt": 22,
                "in": "eth0",
            },
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:16:01 web1 kernel: IPTables-Dropped: IN=eth1 OUT= SRC=2001:db8::66 "
        "DST=2001:db8::1 LEN=80 PROTO=UDP SPT=53 DPT=5353",
        dict(
            action="firewall_block",
            ip="2001:db8::66",
            metadata={
                "rule": "IPTables-Dropped",
                "dst": "2001:db8::1",
                "proto": "UDP",
                "spt": 53,
                "dpt": 5353,
                "in": "eth1",
            },
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:16:02 web1 kernel: [UFW ALLOW] IN=eth0 OUT= SRC=192.0.2.1 DST=10.0.0.2 "
        "PROTO=ICMP TYPE=8",
        dict(action=None, ip="192.0.2.1"),
    ),
    (
        "rfc3164",
        "Jun 14 03:16:03 web1 kernel: [98765.432100] Out of memory: Killed process 4242 (java) "
        "total-vm:8123456kB, anon-rss:4000000kB, file-rss:0kB, shmem-rss:0kB, UID:1000",
        dict(action="oom_kill", level="error", metadata={"killed_pid": 4242, "process": "java"}),
    ),
    (
        "rfc3164",
        "Jun 14 03:16:04 web1 kernel: Memory cgroup out of memory: Killed process 77 "
        "(node worker) total-vm:1kB",
        dict(action="oom_kill", metadata={"killed_pid": 77, "process": "node worker"}),
    ),
    (
        "rfc3164",
        "Jun 14 03:16:05 web1 kernel: oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),"
        "cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice,task=python3,pid=991,uid=1000",
        dict(action="oom_kill", metadata={"killed_pid": 991, "process": "python3"}),
    ),
    (
        "rfc3164",
        "Jun 14 03:16:06 web1 kernel: blk_update_request: I/O error, dev sda, sector 123456 op "
        "0x0:(READ) flags 0x0 phys_seg 1 prio class 0",
        dict(action="io_error", level="error", metadata={"device": "sda", "sector": 123456}),
    ),
    (
        "rfc3164",
        "Jun 14 03:16:07 web1 kernel: Buffer I/O error on dev sdb1, logical block 0, async page "
        "read",
        dict(action="io_error", metadata={"device": "sdb1"}),
    ),
    (
        "rfc3164",
        "Jun 14 03:16:08 web1 kernel: I/O error, dev nvme0n1, sector 2048 op 0x1:(WRITE) flags "
        "0x800 phys_seg 1 prio class 2",
        dict(action="io_error", metadata={"device": "nvme0n1", "sector": 2048}),
    ),
    # --- systemd ------------------------------------------------------------------------------
    (
        "rfc3164",
        "Jun 14 03:17:00 web1 systemd[1]: nginx.service: Failed with result 'exit-code'.",
        dict(
            program="systemd",
            pid=1,
            action="unit_failed",
            level="error",
            metadata={"unit": "nginx.service", "result": "exit-code"},
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:17:01 web1 systemd[1]: Failed to start The nginx HTTP and reverse proxy server.",
        dict(
            action="unit_failed",
            metadata={"description": "The nginx HTTP and reverse proxy server"},
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:17:02 web1 systemd[1]: Failed to start backup@daily.service - Daily backup.",
        dict(
            action="unit_failed",
            metadata={"unit": "backup@daily.service", "description": "Daily backup"},
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:17:03 web1 systemd[1]: Unit cups.service entered failed state.",
        dict(action="unit_failed", metadata={"unit": "cups.service"}),
    ),
    (
        "rfc3164",
        "Jun 14 03:17:04 web1 systemd[1]: db.service: A process of this unit has been killed by "
        "the OOM killer.",
        dict(action="oom_kill", metadata={"unit": "db.service"}),
    ),
    (
        "rfc3164",
        "Jun 14 03:17:05 web1 systemd[1]: Started Session 42 of User alice.",
        dict(action=None, level="info", metadata=None, message="Started Session 42 of User alice."),
    ),
    # --- headers: PRI, RFC 5424, ISO-8601, no host ---------------------------------------------
    (
        "rfc3164",  # RFC 3164 over the network: <PRI> gives the severity (34 = auth.crit)
        "<34>Jun 14 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        dict(
            timestamp=utc("2026-06-14 22:14:15"),
            level="critical",
            host="mymachine",
            program="su",
            pid=None,
            message="'su root' failed for lonvick on /dev/pts/8",
        ),
    ),
    (
        "rfc3164",  # the line's severity wins over the action's
        "<38>Jun 14 03:12:01 web1 sshd[2201]: Failed password for root from 1.2.3.4 port 22 ssh2",
        dict(level="info", action="login_failed", ip="1.2.3.4"),
    ),
    (
        "rfc3164",  # no host
        "Jun 14 03:18:00 sshd[12]: Invalid user admin from 1.2.3.4 port 22",
        dict(host=None, program="sshd", pid=12, action="invalid_user", user="admin"),
    ),
    (
        "rfc3164",  # no tag
        "Jun 14 03:18:01 web1 a message with no program",
        dict(host="web1", program=None, message="a message with no program"),
    ),
    (
        "rfc3164",  # day padded with a space
        "Jun  4 03:18:02 web1 CRON[901]: (root) CMD (run-parts /etc/cron.hourly)",
        dict(timestamp=utc("2026-06-04 03:18:02"), program="CRON", pid=901),
    ),
    (
        "rfc5424",
        "<165>1 2026-06-14T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
        'iut="3" eventSource="Application" eventID="1011"] \ufeffAn application event log entry',
        dict(
            timestamp=utc("2026-06-14 22:14:15"),
            level="notice",
            host="mymachine.example.com",
            program="evntslog",
            pid=None,
            message="An application event log entry",
            metadata={
                "msgid": "ID47",
                "sd": '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]',
            },
        ),
    ),
    (
        "rfc5424",
        "<86>1 2026-06-14T05:00:00+02:00 web1 sshd 2201 - - Failed password for root from "
        "1.2.3.4 port 22 ssh2",
        dict(
            timestamp=utc("2026-06-14 03:00:00"),
            level="info",
            program="sshd",
            pid=2201,
            action="login_failed",
            metadata={"method": "password", "port": 22},
        ),
    ),
    (
        "rfc5424",  # every field nil, an escaped ] inside the structured data, no message
        r'<13>1 - - - - - [a@1 k="x\]y"][b@2]',
        dict(
            host=None,
            program=None,
            pid=None,
            level="notice",
            metadata={"sd": r'[a@1 k="x\]y"][b@2]', "time": "missing"},
            message=r'<13>1 - - - - - [a@1 k="x\]y"][b@2]',
        ),
    ),
    (
        "rfc5424",
        "<30>1 2026-06-14T03:00:00.5-04:30 host app worker-7 MSG1 - started",
        dict(
            timestamp=utc("2026-06-14 07:30:00"),
            level="info",
            pid=None,
            metadata={"procid": "worker-7", "msgid": "MSG1"},
            message="started",
        ),
    ),
    (
        "iso8601",
        "2026-06-14T03:19:00.123456+02:00 web1 sshd[2201]: Invalid user oracle from 1.2.3.4 "
        "port 22",
        dict(
            timestamp=utc("2026-06-14 01:19:00"),
            host="web1",
            program="sshd",
            pid=2201,
            action="invalid_user",
            user="oracle",
        ),
    ),
    (
        "iso8601",
        "2026-06-14T03:19:01Z web1 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=1.2.3.4 DST=10.0.0.2 "
        "PROTO=TCP SPT=1 DPT=23",
        dict(timestamp=utc("2026-06-14 03:19:01"), action="firewall_block", ip="1.2.3.4"),
    ),
    (
        "iso8601",  # no offset: the node's zone (UTC here)
        "2026-06-14T03:19:02.5 web1 app[1]: hello",
        dict(timestamp=utc("2026-06-14 03:19:02"), program="app", message="hello"),
    ),
    # --- what no rule understands ---------------------------------------------------------------
    (
        "rfc3164",
        "%%% complete garbage ### 12 34",
        dict(
            timestamp=int(NOW),
            program=None,
            host=None,
            action=None,
            ip=None,
            message="%%% complete garbage ### 12 34",
            metadata={"time": "missing"},
        ),
    ),
    (
        "rfc3164",
        "Jun 14 03:20:00 web1 app[3]: bell\x07 escape\x1b[31m nul\x00 del\x7f",
        dict(program="app", message="bell\x07 escape\x1b[31m nul\x00 del\x7f"),
    ),
    (
        "rfc3164",  # bytes that were not UTF-8, decoded with errors="replace"
        b"Jun 14 03:20:01 web1 app[3]: caf\xe9 \xff\xfe user=\xc3".decode("utf-8", "replace"),
        dict(program="app", message="caf\ufffd \ufffd\ufffd user=\ufffd"),
    ),
    (
        "rfc3164",
        b"\xff\xfe\x00garbage\x80".decode("utf-8", "replace"),
        dict(message="\ufffd\ufffd\x00garbage\ufffd", metadata={"time": "missing"}),
    ),
    (
        "rfc3164",  # a line that fits no format but starts with a time: the time is kept
        "2026-06-14 03:20:02 [worker] job 7 finished",
        dict(
            timestamp=utc("2026-06-14 03:20:02"),
            program=None,
            metadata=None,
            message="[worker] job 7 finished",
        ),
    ),
    (
        "rfc3164",  # a trailing newline (a tailer that keeps it) is not part of the message
        "Jun 14 03:20:03 web1 app[3]: done\n",
        dict(message="done"),
    ),
]


@pytest.mark.parametrize(("fmt", "line", "expected"), CORPUS, ids=[c[1][:60] for c in CORPUS])
def test_each_corpus_line_gives_the_event_fields_its_shape_has(fmt, line, expected):
    event = parsed(fmt, line)
    got = {name: getattr(event, name) for name in expected}
    assert got == expected


def test_every_corpus_line_has_a_level_name_and_a_non_empty_message():
    levels = {"emergency", "alert", "critical", "error", "warning", "notice", "info", "debug"}
    for fmt, line, _ in CORPUS:
        event = parsed(fmt, line)
        assert event.level in levels
        assert event.message


@pytest.mark.parametrize(
    "address",
    ["2001:db8::1", "::1", "::", "2001:0db8:0000:0000:0000:ff00:0042:8329", "fe80::a%enp3s0",
     "::ffff:192.0.2.128", "64:ff9b::192.0.2.33", "1.2.3.4", "255.255.255.255"],
)  # fmt: skip
def test_ip_addresses_are_kept_whole_in_every_rule_that_reads_one(address):
    lines = {
        f"Jun 14 03:12:01 h sshd[1]: Failed password for root from {address} port 22 ssh2",
        f"Jun 14 03:12:01 h sshd[1]: Invalid user x from {address} port 22",
        f"Jun 14 03:12:01 h sshd[1]: Accepted password for x from {address} port 22 ssh2",
        f"Jun 14 03:12:01 h sshd[1]: pam_unix(sshd:auth): authentication failure; logname= "
        f"uid=0 euid=0 tty=ssh ruser= rhost={address}  user=x",
        f"Jun 14 03:12:01 h kernel: [UFW BLOCK] IN=eth0 OUT= SRC={address} DST=::1 PROTO=TCP",
        f"Jun 14 03:12:01 h fail2ban.actions[1]: NOTICE [sshd] Ban {address}",
    }
    for line in lines:
        assert parsed("rfc3164", line).ip == address, line


@pytest.mark.parametrize(
    "user", ["bob.smith", "x-y", "a@b.example", "machine$", "_svc", "user_01", "-dash", "Ünïcödé"]
)
def test_user_names_are_kept_whole_with_every_character_a_login_can_hold(user):
    for line in (
        f"Jun 14 03:12:01 h sshd[1]: Failed password for invalid user {user} from 1.2.3.4 port "
        "22 ssh2",
        f"Jun 14 03:12:01 h sshd[1]: Failed publickey for {user} from 1.2.3.4 port 22 ssh2",
        f"Jun 14 03:12:01 h sshd[1]: Invalid user {user} from 1.2.3.4 port 22",
        f"Jun 14 03:12:01 h sshd[1]: Accepted publickey for {user} from 1.2.3.4 port 22 ssh2",
        f"Jun 14 03:12:01 h sudo: {user} : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/true",
        f"Jun 14 03:12:01 h sshd[1]: pam_unix(sshd:auth): authentication failure; logname= "
        f"uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user={user}",
    ):
        assert parsed("rfc3164", line).user == user, line


@pytest.mark.parametrize(
    ("message", "level"),
    [
        ("<info>  [1700000000.1234] manager: NetworkManager state is now CONNECTED_GLOBAL", "info"),
        ("<warn>  [1700000000.1234] dhcp4 (eth0): request timed out", "warning"),
        ("WARNING: disk /srv is 95% full", "warning"),
        ("ERROR something broke", "error"),
        ("fatal: unable to access repository", "critical"),
        ("Connection error on socket 3", "error"),
        ("Job failed to run", "error"),
        ("kernel panic - not syncing: Fatal exception", "critical"),
        ("low memory, warnings ahead", "warning"),
        ("Started Daily apt upgrade.", "info"),
    ],
)
def test_a_line_without_a_severity_or_action_takes_its_level_from_its_words(message, level):
    assert parsed("rfc3164", f"Jun 14 03:21:00 web1 app[5]: {message}").level == level
