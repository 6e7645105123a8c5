"""Log lines into events: one event per non-empty line, whatever the line holds.

Formats (``FORMATS``, the names ``--format`` accepts; ``detect_format`` picks one from a file's
first lines):

- ``rfc3164``: ``[<PRI>]Mmm dd hh:mm:ss host tag[pid]: message`` (syslog's traditional file
  format, auth.log, syslog, messages, secure, kern.log). No year and no zone: the time is read
  in the node's zone (``tz``) and takes the year that puts it not in the future relative to
  ``now`` (a day of slack for clock skew), so ``Dec 31 23:59:59`` read on January 1st is last
  year's.
- ``rfc5424``: ``<PRI>1 timestamp host app procid msgid [structured-data] message``; ``-``
  stands for a missing field. The timestamp carries its offset.
- ``iso8601``: rsyslog's high-precision file format, ``2024-01-05T10:00:01.123456+01:00 host
  tag[pid]: message``; an offset (or ``Z``) when present, else the node's zone.
- ``fail2ban``: ``2024-01-05 10:00:01,123 fail2ban.actions [1234]: NOTICE [sshd] Ban 1.2.3.4``,
  local time without a zone (``tz``).

A line that does not fit the file's format is tried against the others, then against a bare
leading timestamp; a line nothing understands becomes an event with its raw text as message and
the time of the last line before it that had one (metadata ``{"time": "previous"}``: the
continuation lines of a traceback stay beside it), else the parse time (``{"time":
"missing"}``). ``Parser.parse`` never raises.
Timestamps are whole Unix seconds (UTC); fractions are dropped. A local time that a DST change
makes ambiguous takes its first occurrence (``fold=0``); one that does not exist is read with
the offset in force before the change.

Level (syslog's eight severities, named in full as the rollups count them, ``LEVELS``), the
first rule that gives one:

1. the line's own severity: its ``<PRI>`` (``PRI % 8``);
2. fail2ban's level word (``NOTICE``, ``ERROR``, ...), in its own file or through syslog;
3. the action: ``oom_kill``, ``io_error``, ``unit_failed`` -> ``error``; ``login_failed``,
   ``invalid_user``, ``auth_failure``, ``firewall_block``, a refused ``sudo`` -> ``warning``;
   ``ban``, ``unban``, ``ban_restored``, ``already_banned``, ``sudo`` -> ``notice``; ``found``,
   ``login_accepted`` -> ``info``;
4. a level word opening any other message (``error:``, ``WARNING``, ``<info>``, ``fatal:``...);
5. keywords in the message: ``error``/``fail`` -> ``error`` (``critical`` with
   ``fatal``/``panic``), ``panic``/``fatal`` -> ``critical``, ``warn`` -> ``warning``;
6. else ``info``.

Rules: one per line shape, chosen by program name (``sshd``, ``sudo``, ``kernel``, ``systemd``,
``fail2ban.*``; pam_unix's authentication failure in any program), each behind a substring
check before its regex; every pattern is bounded so that a hostile line costs time linear in
its length. Actions: ``login_failed`` (sshd Failed password/publickey/..., invalid users
included, metadata ``invalid_user``), ``invalid_user``, ``login_accepted``, ``auth_failure``
(pam_unix, ip from ``rhost``), ``sudo``, ``ban``, ``unban``, ``ban_restored`` (fail2ban's
Restore Ban at start-up, not a new ban), ``already_banned``, ``found``, ``firewall_block``
(UFW/iptables LOG lines, but not ALLOW/ACCEPT/AUDIT ones; ip from ``SRC``), ``oom_kill``,
``unit_failed``, ``io_error``. Other sshd lines that name a peer (``Connection closed by ...``)
give its ip, port and user without an action. IP addresses (IPv4, IPv6 in every spelling, with
a zone or v4-mapped) and user names (``.``, ``-``, ``@``, ``$``, even spaces for sshd's invalid
users) are kept whole. rsyslog's ``message repeated N times: [ ... ]`` is read as its inner
message, with metadata ``repeated``. A rule that raises (a bug) leaves the line raw, with
metadata ``parse_error``.

This module imports only the standard library and core.log_words: the store and the CLI build
on it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from ...log_words import ACTION_LEVELS, LEVELS

FORMATS = ("rfc3164", "rfc5424", "iso8601", "fail2ban")

YEAR_SLACK = 86400  # an RFC 3164 time up to a day ahead of ``now`` is clock skew, not last year
_CACHE_MAX = 4096  # minutes of timestamps remembered per parser


@dataclass(slots=True)
class Event:
    """One log line, read."""

    timestamp: int  # Unix seconds, UTC
    level: str  # one of LEVELS
    program: str | None
    pid: int | None
    host: str | None
    message: str  # the message after the header; the raw line when nothing is understood
    ip: str | None
    user: str | None
    action: str | None
    metadata: dict[str, str | int] | None


# --- headers: one compiled regex per format -------------------------------------------------

_PRI = r"(?:<(\d{1,3})>)?"
_TAG = r"(?:([^\s\[:]+)(?:\[(\d{1,10})\])?:(?: |$))?"
_RFC3164 = re.compile(
    _PRI
    + r"([A-Z][a-z]{2} [ 0-9]?\d [0-2]\d:[0-5]\d):([0-5]\d|60)(?:\.\d+)? (\S+) "
    + _TAG
    + r"(.*)",
    re.S,
)
_ISO8601 = re.compile(
    _PRI
    + r"(\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d):([0-5]\d|60)(?:[.,]\d+)?(Z|[+-]\d\d:?\d\d)? "
    + r"(\S+) "
    + _TAG
    + r"(.*)",
    re.S,
)
_RFC5424 = re.compile(
    _PRI
    + r"1 (?:-|(\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d):([0-5]\d|60)(?:\.\d+)?(Z|[+-]\d\d:\d\d)) "
    r"(\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (.*))?",
    re.S,
)
_FAIL2BAN = re.compile(
    r"(\d{4}-[01]\d-[0-3]\d [0-2]\d:[0-5]\d):([0-5]\d|60)(?:,\d+)? ([^\s\[:]+) *(?:\[(\d{1,10})\])?: "
    r"(?:(CRITICAL|ERROR|WARNING|NOTICE|INFO|DEBUG|HEAVYDEBUG|TRACEDEBUG|MSG) +)?(.*)",
    re.S,
)
# Any line that starts with a time (a file in no known format): the time, then the rest.
_LEADING_TIME = re.compile(
    _PRI + r"(?:(\d{4}-[01]\d-[0-3]\d[T ][0-2]\d:[0-5]\d):([0-5]\d|60)(?:[.,]\d+)?"
    r"(Z|[+-]\d\d:?\d\d| UTC| GMT)?|([A-Z][a-z]{2} [ 0-9]?\d [0-2]\d:[0-5]\d):([0-5]\d|60)(?:\.\d+)?)"
    r"[ \t]*(?:[-|:][ \t]+)?(.*)",
    re.S,
)
_HOSTLESS_TAG = re.compile(r"([^\s\[:]+)(?:\[(\d{1,10})\])?:")
_HEADERS = {"rfc3164": _RFC3164, "rfc5424": _RFC5424, "iso8601": _ISO8601, "fail2ban": _FAIL2BAN}
# Which format wins when the first lines fit several (a fail2ban line also fits iso8601).
_PRIORITY = ("rfc5424", "fail2ban", "iso8601", "rfc3164")

_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec"), start=1)}  # fmt: skip
_F2B_LEVELS = {"CRITICAL": "critical", "ERROR": "error", "WARNING": "warning", "NOTICE": "notice",
               "INFO": "info", "DEBUG": "debug", "HEAVYDEBUG": "debug", "TRACEDEBUG": "debug",
               "MSG": "notice"}  # fmt: skip
# A word opening a message that says its level (its first word, or that word without a ':').
_LEVEL_WORDS = {
    word: level
    for level, words in (
        ("emergency", "EMERG EMERGENCY emerg <emerg> PANIC panic"),
        ("alert", "ALERT alert <alert>"),
        ("critical", "CRITICAL CRIT FATAL Fatal fatal critical <crit>"),
        ("error", "ERROR ERR Error error err <error> <err> [error]"),
        ("warning", "WARNING WARN Warning warning warn <warn> <warning> [warn] [warning]"),
        ("notice", "NOTICE notice <notice> [notice]"),
        ("info", "INFO info <info> [info]"),
        ("debug", "DEBUG debug <debug> [debug] TRACE"),
    )
    for word in words.split()
}

# A line's own level: its <PRI> (facility * 8 + severity) or fail2ban's level word.
_SEVERITY = {**{str(pri): LEVELS[pri & 7] for pri in range(192)}, **_F2B_LEVELS}
_BAD = -(2**62)  # a cached time that does not exist (Feb 30th, 25:00)


def detect_format(first_lines: list[str]) -> str:
    """The format most of ``first_lines`` (the first ten non-empty ones are read) fit; on a tie
    the stricter format; ``rfc3164`` when none fits (the parser still tries every format on
    each line, and keeps what none understands raw)."""
    scores = dict.fromkeys(_PRIORITY, 0)
    seen = 0
    for line in first_lines:
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        for name in _PRIORITY:
            if _HEADERS[name].match(line):
                scores[name] += 1
        seen += 1
        if seen == 10:
            break
    best = max(_PRIORITY, key=lambda name: scores[name])  # max keeps the first of equals
    return best if scores[best] else "rfc3164"


# --- what the message says: rules ------------------------------------------------------------

# A rule reads a message and returns (action, ip, user, metadata, level) or None.
Found = tuple[str | None, str | None, str | None, dict[str, str | int] | None, str | None]
Rule = Callable[[str], Found | None]

_HEX_COLON_DOT = "0123456789abcdefABCDEF:."
_DIGITS_DOT = "0123456789."


def _is_ip(value: str) -> bool:
    """IPv4 (dotted quad) or IPv6 in any spelling (compressed, v4-mapped, ``%zone``): told
    from a host name by its characters alone (a strip, not a regex: most auth.log lines hold
    one)."""
    if ":" in value:
        return not value.partition("%")[0].strip(_HEX_COLON_DOT)
    return value.count(".") == 3 and len(value) <= 15 and not value.strip(_DIGITS_DOT)


def _ip_or_meta(value: str, meta: dict[str, str | int], key: str) -> str | None:
    """``value`` when it is an IP address (kept whole); else kept in ``meta[key]`` (a host
    name, from sshd's UseDNS), and no ip."""
    if ":" in value:  # _is_ip, inlined: most auth.log lines come here
        if not value.partition("%")[0].strip(_HEX_COLON_DOT):
            return value
    elif value.count(".") == 3 and len(value) <= 15 and not value.strip(_DIGITS_DOT):
        return value
    if value:
        meta[key] = value
    return None


def _int_or_str(value: str) -> str | int:
    return int(value) if value.isdecimal() and len(value) < 16 else value


def _ssh_from(rest: str) -> tuple[str, str, str] | None:
    """``USER from IP port N ...`` split at its last `` from ``: a user name sshd was sent may
    hold anything, spaces and `` from `` included, what follows it never does."""
    at = rest.rfind(" from ")
    if at < 0:
        return None
    address, _, tail = rest[at + 6 :].partition(" ")
    port = tail[5:].partition(" ")[0] if tail[:5] == "port " else ""
    if not (port.isdecimal() and len(port) <= 5):  # not "²", not 5,000 digits int() refuses
        port = ""
    return rest[:at], address, port


def _sshd(msg: str) -> Found | None:
    """sshd's Failed/Invalid user/Accepted lines, read with string operations: they are most of
    an exposed node's auth.log."""
    first = msg[:1]
    if first == "F":
        if msg[:7] != "Failed ":
            return None
        at = msg.find(" for ", 7)
        if at < 0 or (split := _ssh_from(msg[at + 5 :])) is None:
            return None
        user, address, port = split
        meta: dict[str, str | int] = {"method": msg[7:at]}
        if user[:13] == "invalid user " or user == "invalid user":
            user = user[13:]
            meta["invalid_user"] = 1
        if port:
            meta["port"] = int(port)
        return "login_failed", _ip_or_meta(address, meta, "rhost"), user or None, meta, None
    if first == "I":
        if msg[:13] != "Invalid user " or (split := _ssh_from(msg[13:])) is None:
            if msg == "Invalid user" or msg[:13] == "Invalid user ":
                return "invalid_user", None, msg[13:] or None, None, None
            return None
        user, address, port = split
        meta = {"port": int(port)} if port else {}
        return "invalid_user", _ip_or_meta(address, meta, "rhost"), user or None, meta or None, None
    if first == "A":
        if msg[:9] != "Accepted ":
            return None
        at = msg.find(" for ", 9)
        if at < 0 or (split := _ssh_from(msg[at + 5 :])) is None:
            return None
        user, address, port = split
        meta = {"method": msg[9:at]}
        if port:
            meta["port"] = int(port)
        return "login_accepted", _ip_or_meta(address, meta, "rhost"), user or None, meta, None
    return None


# Bounded, and only from the start of a run of address characters: a long line of them stays
# linear to search (every pattern here is written so).
_SSH_ADDRESS = re.compile(
    r"(?<![0-9A-Fa-f:.])([0-9A-Fa-f:.]{3,45}(?:%[\w.\-]{1,32})?) port (\d{1,5})\b"
)


def _sshd_address(msg: str) -> Found | None:
    """Any other sshd line naming a peer (``Connection closed by authenticating user root
    1.2.3.4 port 22 [preauth]``, ``Received disconnect from ...``): its address, port and user,
    no action."""
    if msg[:16] == "Server listening":  # its own address
        return None
    m = _SSH_ADDRESS.search(msg)
    if m is None or not _is_ip(m[1]):
        return None
    before = msg[: m.start()]
    at = before.find(" user ")
    user = before[at + 6 : -1] if at >= 0 else None
    return None, m[1], user or None, {"port": int(m[2])}, None


_PAM_SERVICE = re.compile(r"pam_\w{1,32}\(([^)]{0,64})\)")


def _pam(msg: str) -> Found | None:
    """pam_unix's ``authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4
    user=alice`` in any program."""
    at = msg.find("authentication failure;")
    if at < 0:
        return None
    fields = {}
    for token in msg[at + 23 :].split():
        key, eq, value = token.partition("=")
        if eq:
            fields[key] = value
    meta: dict[str, str | int] = {}
    service = _PAM_SERVICE.search(msg, 0, at)
    if service:
        meta["service"] = service[1]
    for key in ("tty", "ruser", "uid"):
        if fields.get(key):
            meta[key] = _int_or_str(fields[key])
    ip = _ip_or_meta(fields.get("rhost", ""), meta, "rhost")
    return "auth_failure", ip, fields.get("user") or None, meta or None, None


def _sudo(msg: str) -> Found | None:
    """``alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls``; a refusal has a
    reason first (``3 incorrect password attempts``, ``user NOT in sudoers``)."""
    at = msg.find(" : ")
    if at < 0 or "COMMAND=" not in msg:
        return None
    user = msg[:at].strip()
    rest = msg[at + 3 :]
    meta: dict[str, str | int] = {}
    command_at = rest.find("COMMAND=")
    meta["command"] = rest[command_at + 8 :]
    for part in rest[:command_at].split(" ; "):
        key, eq, value = part.strip().partition("=")
        if not eq:
            if key:
                meta["reason"] = key
        elif key == "USER":
            meta["target_user"] = value
        elif key in ("TTY", "PWD"):
            meta[key.lower()] = value
    return "sudo", None, user or None, meta, "warning" if "reason" in meta else None


_F2B = re.compile(
    r"(?:([A-Z]+) +)?\[([^\]]*)\] +(?:(Restore Ban|Ban|Unban|Found) (\S+)|(\S+) already banned)"
)
_F2B_ACTIONS = {"Ban": "ban", "Unban": "unban", "Restore Ban": "ban_restored", "Found": "found"}


def _fail2ban(msg: str) -> Found | None:
    m = _F2B.match(msg)
    if m is None:
        return None
    level = _F2B_LEVELS.get(m[1]) if m[1] else None  # syslog'd: "NOTICE [sshd] Ban ..."
    meta: dict[str, str | int] = {"jail": m[2]}
    if m[3]:
        return _F2B_ACTIONS[m[3]], _ip_or_meta(m[4], meta, "address"), None, meta, level
    return "already_banned", _ip_or_meta(m[5], meta, "address"), None, meta, level


_OOM_KILLED = re.compile(r"Kill(?:ed)? process (\d{1,10}) \(([^)]{0,64})\)")
_OOM_TASK = re.compile(r"\btask=([^,]{0,64}),pid=(\d{1,10})")
_IO_DEVICE = re.compile(r"(?:error,? (?:on )?dev |\(device |XFS \()([^\s,)]{1,64})")
_SECTOR = re.compile(r"sector (\d{1,20})")
# iptables LOG fields kept: (" KEY=", metadata name, a number).
_FIREWALL_FIELDS = tuple((f" {key}=", key.lower(), key in ("SPT", "DPT"))
                         for key in ("DST", "PROTO", "SPT", "DPT", "IN", "OUT"))  # fmt: skip


def _kernel(msg: str) -> Found | None:
    if " SRC=" in msg:
        start = msg.find("IN=")
        if start < 0:
            return None
        prefix = msg[:start]
        if prefix[:1] == "[" and "]" in prefix and prefix[1:2] in " 0123456789":
            prefix = prefix[prefix.find("]") + 1 :]  # the kernel's uptime stamp
        prefix = prefix.strip(" []:")
        meta: dict[str, str | int] = {"rule": prefix} if prefix else {}
        fields = msg[start - 1 :] if start else " " + msg  # each field after a space
        for key, name, number in _FIREWALL_FIELDS:
            at = fields.find(key)
            if at >= 0:
                at += len(key)
                end = fields.find(" ", at)
                value = fields[at:] if end < 0 else fields[at:end]
                if value:
                    meta[name] = _int_or_str(value) if number else value
        at = fields.find(" SRC=") + 5
        end = fields.find(" ", at)
        address = fields[at:] if end < 0 else fields[at:end]
        upper = prefix.upper()
        allowed = "ALLOW" in upper or "ACCEPT" in upper or "AUDIT" in upper
        ip = _ip_or_meta(address, meta, "src")
        return None if allowed else "firewall_block", ip, None, meta or None, None
    if "I/O error" in msg or "error, dev " in msg:
        meta = {}
        m = _IO_DEVICE.search(msg)
        if m:
            meta["device"] = m[1]
        m = _SECTOR.search(msg)
        if m:
            meta["sector"] = int(m[1])
        return "io_error", None, None, meta or None, None
    if "ut of memory" in msg:
        m = _OOM_KILLED.search(msg)
        if m:
            return "oom_kill", None, None, {"killed_pid": int(m[1]), "process": m[2]}, None
    elif (at := msg.find("oom-kill:")) >= 0:
        m = _OOM_TASK.search(msg, at)
        if m:
            return "oom_kill", None, None, {"killed_pid": int(m[2]), "process": m[1]}, None
    return None


_UNIT = r"(\S+\.(?:service|socket|mount|automount|swap|target|path|timer|slice|scope|device))"
_UNIT_RESULT = re.compile(_UNIT + r": Failed with result '([^']*)'")
_UNIT_FAILED_STATE = re.compile(r"(?:Unit )?" + _UNIT + r":? (?:Unit )?entered failed state")
_START_FAILED = re.compile(r"Failed to start (.*?)\.?$", re.S)
_UNIT_DESCRIPTION = re.compile(_UNIT + r" - (.*)", re.S)
_UNIT_OOM = re.compile(_UNIT + r": A process of this unit has been killed by the OOM killer")


def _systemd(msg: str) -> Found | None:
    if "ailed" in msg:
        m = _UNIT_RESULT.match(msg)
        if m:
            return "unit_failed", None, None, {"unit": m[1], "result": m[2]}, None
        m = _START_FAILED.match(msg)
        if m:
            described = _UNIT_DESCRIPTION.match(m[1])
            if described:
                meta = {"unit": described[1], "description": described[2]}
            else:
                meta = {"description": m[1]}
            return "unit_failed", None, None, meta, None
        m = _UNIT_FAILED_STATE.match(msg)
        if m:
            return "unit_failed", None, None, {"unit": m[1]}, None
    elif "OOM killer" in msg:
        m = _UNIT_OOM.match(msg)
        if m:
            return "oom_kill", None, None, {"unit": m[1]}, None
    return None


_SSHD_RULES = (_sshd, _pam, _sshd_address)
_PROGRAM_RULES: dict[str, tuple[Rule, ...]] = {
    "sshd": _SSHD_RULES,
    "sshd-session": _SSHD_RULES,
    "sshd-auth": _SSHD_RULES,
    "sudo": (_sudo, _pam),
    "kernel": (_kernel,),
    "systemd": (_systemd,),
    "init": (_systemd,),
}
_OTHER_RULES: tuple[Rule, ...] = (_pam,)


def _rules_for(program: str | None) -> tuple[Rule, ...]:
    if program is None:
        return _OTHER_RULES
    rules = _PROGRAM_RULES.get(program)
    if rules is not None:
        return rules
    if program.startswith("fail2ban"):
        return (_fail2ban,)
    if program.startswith("systemd") and program[7:8] in ("", "["):
        return (_systemd,)
    return _OTHER_RULES


_REPEATED = re.compile(r"message repeated (\d{1,9}) times: \[ ?(.*)\]$", re.S)


def _text_level(msg: str) -> str:
    """The level a message says in its first word (``ERROR``, ``error:``, ``<info>``), else
    the one its words suggest."""
    space = msg.find(" ", 0, 13)
    first = msg[:space] if space >= 0 else msg[:13]
    level = _LEVEL_WORDS.get(first)
    if level is None and first[-1:] == ":":
        level = _LEVEL_WORDS.get(first[:-1])
    if level is not None:
        return level
    low = msg[:400].lower()
    if "error" in low or "fail" in low:
        return "critical" if "fatal" in low or "panic" in low else "error"
    if "panic" in low or "fatal" in low:
        return "critical"
    if "warn" in low:
        return "warning"
    return "info"


# --- the parser ------------------------------------------------------------------------------


class Parser:
    """Parses the lines of one log file (one format; lines that do not fit it are tried against
    the others). ``tz``: the node's zone, for times written without one; ``now``: a fixed
    current time (tests), else the clock at each line that needs it."""

    __slots__ = ("fmt", "tz", "now", "_header", "_read", "_times", "_bsd", "_bsd_until", "_last",
                 "_rules", "_order")  # fmt: skip

    def __init__(self, fmt: str, tz: tzinfo, now: float | None = None):
        if fmt not in FORMATS:
            raise ValueError(f"unknown log format {fmt!r}: expected one of {', '.join(FORMATS)}")
        self.fmt, self.tz, self.now = fmt, tz, now
        self._times: dict[str, int] = {}  # ISO minutes (with their offset)
        # RFC 3164 minutes: their year depends on the clock, so they are forgotten every hour
        # when it runs (a quiet log's "Jun 15 12:00" may come back a year later).
        self._bsd: dict[str, int] = {}
        self._bsd_until = float("inf") if now is not None else 0.0
        self._last: int | None = None  # the time of the last line that had one
        self._rules: dict[str | None, tuple[Rule, ...]] = {}
        readers = {
            "rfc3164": self._rfc3164,
            "rfc5424": self._rfc5424,
            "iso8601": self._iso8601,
            "fail2ban": self._fail2ban,
        }
        self._header, self._read = _HEADERS[fmt], readers[fmt]
        self._order = tuple((_HEADERS[n], readers[n]) for n in _PRIORITY if n != fmt)

    # Times: the Unix second a line's minute starts at, cached by the minute's text.

    def _clock(self) -> float:
        return time.time() if self.now is None else self.now

    def _remember(self, cache: dict[str, int], key: str, value: int) -> int:
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[key] = value
        return value

    def _iso_minute(self, minute: str, offset: str | None) -> int:
        """``YYYY-MM-DD?hh:mm`` with ``Z``/``+hh:mm``/``+hhmm`` or no offset (the node's zone)."""
        key = minute + offset if offset else minute
        base = self._times.get(key)
        if base is not None:
            return base
        try:
            y, mo, d = int(minute[0:4]), int(minute[5:7]), int(minute[8:10])
            h, mi = int(minute[11:13]), int(minute[14:16])
            if offset:
                stamp = datetime(y, mo, d, h, mi, tzinfo=UTC).timestamp()
                if offset != "Z":
                    sign = -1 if offset[0] == "-" else 1
                    stamp -= sign * (int(offset[1:3]) * 3600 + int(offset[-2:]) * 60)
            else:
                stamp = datetime(y, mo, d, h, mi, tzinfo=self.tz).timestamp()
            base = int(stamp)
        except (ValueError, OverflowError):
            base = _BAD
        return self._remember(self._times, key, base)

    def _bsd_minute(self, minute: str) -> int:
        """``Mmm dd hh:mm`` in the node's zone, in the latest year that is not in the future."""
        if self.now is None and (clock := time.time()) >= self._bsd_until:
            self._bsd.clear()
            self._bsd_until = clock + 3600
        base = self._bsd.get(minute)
        if base is not None:
            return base
        base = _BAD
        month = _MONTHS.get(minute[:3])
        day, clock_time = minute[4:].split()  # "Dec  5", "Dec 05" and "Dec 5" alike
        day, h, mi = int(day), int(clock_time[:2]), int(clock_time[3:])
        if month is not None:
            now = self._clock()
            latest = datetime.fromtimestamp(now, self.tz).year + 1
            for year in range(latest, latest - 9, -1):  # Feb 29th: back to a leap year
                try:
                    stamp = datetime(year, month, day, h, mi, tzinfo=self.tz).timestamp()
                except (ValueError, OverflowError):
                    continue
                if stamp <= now + YEAR_SLACK:
                    base = int(stamp)
                    break
        return self._remember(self._bsd, minute, base)

    # Headers: each returns (timestamp or _BAD, severity, host, program, pid, message, meta).

    def _rfc3164(self, m: re.Match[str]) -> tuple:
        pri, minute, second, host, program, pid, msg = m.groups()
        if program is None and host[-1:] == ":":  # no host: "Dec  5 01:00:00 sshd[12]: ..."
            tag = _HOSTLESS_TAG.fullmatch(host)
            if tag:
                host, program, pid = None, tag[1], tag[2]
        base = self._bsd.get(minute) if self.now is not None else None
        if base is None:  # not cached, or a clock to check first
            base = self._bsd_minute(minute)
        ts = base + int(second) if base != _BAD else _BAD
        return ts, pri, host, program, pid, msg, None

    def _iso8601(self, m: re.Match[str]) -> tuple:
        pri, minute, second, offset, host, program, pid, msg = m.groups()
        base = self._iso_minute(minute, offset)
        ts = base + int(second) if base != _BAD else _BAD
        return ts, pri, host, program, pid, msg, None

    def _rfc5424(self, m: re.Match[str]) -> tuple:
        pri, minute, second, offset, host, app, procid, msgid, sd, msg = m.groups()
        if minute is None:
            ts = _BAD
        else:
            base = self._iso_minute(minute, offset)
            ts = base + int(second) if base != _BAD else _BAD
        meta: dict[str, str | int] = {}
        pid = None
        if procid != "-":
            if procid.isdecimal() and len(procid) <= 10:
                pid = procid
            else:
                meta["procid"] = procid
        if msgid != "-":
            meta["msgid"] = msgid
        if sd != "-":
            meta["sd"] = sd
        msg = msg or ""
        if msg[:1] == "\ufeff":
            msg = msg[1:]
        host = None if host == "-" else host
        return ts, pri, host, None if app == "-" else app, pid, msg, meta or None

    def _fail2ban(self, m: re.Match[str]) -> tuple:
        minute, second, program, pid, word, msg = m.groups()
        base = self._iso_minute(minute, None)
        ts = base + int(second) if base != _BAD else _BAD
        return ts, word, None, program, pid, msg, None

    def _leading_time(self, m: re.Match[str]) -> tuple:
        pri, iso, iso_second, offset, bsd, bsd_second, msg = m.groups()
        if iso:
            if offset and offset[0] == " ":  # PostgreSQL's "2026-06-14 03:00:00.123 UTC"
                offset = "Z"
            base, second = self._iso_minute(iso, offset), iso_second
        else:
            base, second = self._bsd_minute(bsd), bsd_second
        ts = base + int(second) if base != _BAD else _BAD
        return ts, pri, None, None, None, msg, None

    # Lines.

    def parse(self, line: str) -> Event:
        """The event ``line`` describes; never raises (a line nothing understands is kept raw)."""
        try:
            text = line
            if text[-1:] in ("\n", "\r"):
                text = text.rstrip("\r\n")
            m = self._header.match(text)
            if m is not None:
                ts, pri, host, program, pid, msg, meta = self._read(m)
            else:
                for header, read in self._order:
                    m = header.match(text)
                    if m is not None:
                        ts, pri, host, program, pid, msg, meta = read(m)
                        break
                else:
                    m = _LEADING_TIME.match(text)
                    if m is None:
                        return self._raw(line, text)
                    ts, pri, host, program, pid, msg, meta = self._leading_time(m)
            # The rules of the line's program on its message.
            level = _SEVERITY.get(pri) if pri else None
            rules = self._rules.get(program)
            if rules is None:
                if len(self._rules) >= _CACHE_MAX:
                    self._rules.clear()
                rules = self._rules[program] = _rules_for(program)
            body = msg
            if body[:1] == "m" and body.startswith("message repeated "):
                repeated = _REPEATED.match(body)
                if repeated:
                    body = repeated[2]
                    meta = {**(meta or {}), "repeated": int(repeated[1])}
            action = ip = user = rule_level = None
            for rule in rules:
                found = rule(body)
                if found is not None:
                    action, ip, user, extra, rule_level = found
                    if extra:
                        meta = {**meta, **extra} if meta else extra
                    break
            if level is None:
                if action is not None:
                    level = rule_level or ACTION_LEVELS[action]
                else:
                    level = _text_level(body)
            if ts == _BAD:
                ts, missing = self._missing_time()
                meta = {**(meta or {}), "time": missing}
            else:
                self._last = ts
            return Event(ts, level, program, int(pid) if pid else None, host, msg or text or line,
                         ip, user, action, meta)  # fmt: skip
        except Exception as exc:  # a rule's bug must not lose the line: keep it raw, and say so
            event = self._raw(line, line)
            event.metadata["parse_error"] = type(exc).__name__
            return event

    def _raw(self, line: str, text: str) -> Event:
        level = _text_level(text) if text else "info"
        ts, missing = self._missing_time()
        return Event(ts, level, None, None, None, text or line, None, None, None,
                     {"time": missing})  # fmt: skip

    def _missing_time(self) -> tuple[int, str]:
        """The time of a line without one: that of the line before it that had one (a
        traceback's, a statement's continuation lines), else now."""
        if self._last is not None:
            return self._last, "previous"
        return int(self._clock()), "missing"
