"""Properties over generated input: parsing never raises (nor falls back on its guard against a
rule's exception) and always says something, whatever text a log file holds; and addresses and user names that sshd writes come back whole."""

from __future__ import annotations

import ipaddress
from datetime import UTC

from hypothesis import given, settings
from hypothesis import strategies as st

from core.collect.logs.parse import FORMATS, LEVELS, Parser

NOW = 1_781_500_000.0
PARSERS = [Parser(fmt, UTC, NOW) for fmt in FORMATS]

# Text that looks like log lines often enough to reach the rules: a header of each format
# followed by arbitrary text, or arbitrary text alone.
HEADERS = st.sampled_from([
    "", "Jun 14 03:12:01 web1 sshd[1]: ", "<34>Jun 14 03:12:01 web1 kernel: ",
    "Jun 14 03:12:01 web1 sudo: ", "Jun 14 03:12:01 web1 systemd[1]: ",
    "2026-06-14T03:19:00.5+02:00 web1 sshd[1]: ", "<13>1 2026-06-14T22:14:15Z h app 1 - - ",
    "2026-06-14 03:15:00,123 fail2ban.actions [1]: NOTICE ", "message repeated 2 times: [ ",
])  # fmt: skip
WORDS = [
    "Failed", "Invalid", "user", "Accepted", "for", "from", "port", "1.2.3.4", "::1",
    "authentication", "failure;", "rhost=", "user=", "COMMAND=", ":", ";", "IN=", "SRC=", "DPT=",
    "I/O", "error", "dev", "Out", "of", "memory:", "Killed", "process", "oom-kill:", "task=",
    ",pid=", "to", "start", ".service:", "[sshd]", "Ban", "Restore", "already", "banned", "-",
    "22", "(", ")", "'", "\u00b2", "\u0663", "\uff11",
]  # fmt: skip
BODIES = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(list("Failed password for invalid user from port SRC=[]:;="))),
    # The words the rules look for, in any order; digits that int() refuses ("²") among them.
    st.lists(st.sampled_from(WORDS)).map(" ".join),
    st.binary().map(lambda b: b.decode("utf-8", "replace")),
    st.binary().map(lambda b: b.decode("utf-8", "surrogateescape")),
)


@settings(max_examples=300, deadline=None)
@given(header=HEADERS, body=BODIES)
def test_parse_never_raises_and_gives_a_level_and_a_non_empty_message(header, body):
    line = header + body
    for parser in PARSERS:
        event = parser.parse(line)
        assert event.level in LEVELS
        assert isinstance(event.timestamp, int)
        assert "parse_error" not in (event.metadata or {})  # no rule stumbled on it
        if line:
            assert event.message


@settings(max_examples=100, deadline=None)
@given(
    address=st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str),
    user=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Z")), min_size=1, max_size=32
    ),
    port=st.integers(1, 65535),
)
def test_sshd_addresses_and_user_names_come_back_whole(address, user, port):
    parser = PARSERS[0]
    line = f"Jun 14 03:12:01 web1 sshd[1]: Failed password for invalid user {user} from "
    event = parser.parse(f"{line}{address} port {port} ssh2")
    assert (event.user, event.ip, event.metadata["port"]) == (user, address, port)
    assert ipaddress.ip_address(event.ip) == ipaddress.ip_address(address)


# Each rule's line shape with its fields drawn as any text: the fields a rule converts (ports,
# pids, sectors) get what no daemon writes.
TEMPLATES = [
    "Jun 14 03:12:01 h sshd[1]: Failed {} for {} from {} port {} {}",
    "Jun 14 03:12:01 h sshd[1]: Failed {} for invalid user {} from {} port {}",
    "Jun 14 03:12:01 h sshd[1]: Invalid user {} from {} port {}",
    "Jun 14 03:12:01 h sshd[1]: Accepted {} for {} from {} port {} {}",
    "Jun 14 03:12:01 h sshd[1]: Connection closed by {} user {} {} port {} {}",
    "Jun 14 03:12:01 h sshd[1]: {}authentication failure; {} rhost={} user={}{}",
    "Jun 14 03:12:01 h sudo: {} : {} ; TTY={} ; USER={} ; COMMAND={}",
    "Jun 14 03:12:01 h kernel: {} IN={} OUT= SRC={} DST={} PROTO={} SPT={} DPT={}",
    "Jun 14 03:12:01 h kernel: {} I/O error, dev {}, sector {} {}",
    "Jun 14 03:12:01 h kernel: Out of memory: Killed process {} ({}) {}",
    "Jun 14 03:12:01 h kernel: oom-kill:{},task={},pid={},{}",
    "Jun 14 03:12:01 h systemd[1]: {}.service: Failed with result '{}'.",
    "Jun 14 03:12:01 h systemd[1]: Failed to start {}.service - {}.",
    "Jun 14 03:12:01 h fail2ban.actions[1]: {} [{}] {} {}",
    "Jun 14 03:12:01 h app[1]: message repeated {} times: [ {}]",
    "<{}>1 {} {} {} {} {} {} {}",
    "{}-{}-{}T{}:{}:{}{} h app[{}]: {}",
    "{}-{}-{} {}:{}:{},{} fail2ban.filter [{}]: {} [{}] Found {}",
]
FIELD = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "-", "22", "\u00b2", "\u0663", "1.2.3.4", "::1", "[", "]", " port ", "01"]
    ),
)


@settings(max_examples=400, deadline=None)
@given(template=st.sampled_from(TEMPLATES), fields=st.lists(FIELD, min_size=12, max_size=12))
def test_rule_shapes_with_any_fields_never_make_a_rule_raise(template, fields):
    line = template.format(*fields)
    for parser in PARSERS:
        event = parser.parse(line)
        assert "parse_error" not in (event.metadata or {}), line
        assert event.message
