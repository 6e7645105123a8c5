"""Per-service byte counters from iptables, read with one ``iptables-save -c`` call.

Convention: the traffic of service ``<id>`` passes through two user-defined chains,
``NK_<id>_IN`` (traffic to the service: downlink, limited by its ``dl_limit``) and
``NK_<id>_OUT`` (traffic from it: uplink, ``ul_limit``), which become the nodekeeper chains
``service:<id>:in`` and ``service:<id>:out``. For example::

    iptables -N NK_web_IN
    iptables -N NK_web_OUT
    iptables -A FORWARD -o br-web -j NK_web_IN
    iptables -A FORWARD -i br-web -j NK_web_OUT

A chain's counter is the sum of the byte counters of the rules that jump to it (``-j`` or ``-g``),
in every table of the dump: each packet entering the chain is counted once, whatever rules the
chain itself holds. Define each ``NK_`` chain in one table only. iptables limits chain names to
28 characters, so ``<id>`` can have at most 21 (a UUID does not fit).

Without iptables, or when it cannot be read (not root, no kernel support), there are no service
counters: ``read_service_counters()`` returns nothing and logs one info line per process.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import subprocess
import time

from ..traffic_rules import service_chain

log = logging.getLogger("nodekeeper")

_COUNTED_RULE = re.compile(r"\[(\d+):(\d+)\]\s+(.*)")
_SERVICE_CHAIN = re.compile(r"NK_(.+)_(IN|OUT)")
_JUMPS = ("-j", "--jump", "-g", "--goto")
TIMEOUT = 10.0  # seconds

_told = False  # the one info line of this process was logged
WHICH_EVERY = 60.0  # seconds between two searches of the PATH for iptables-save
# (program, PATH) -> (when it was looked up, its path)
_found: dict[tuple[str, str], tuple[float, str | None]] = {}


def nodekeeper_chain(iptables_chain: str) -> str | None:
    """``service:<id>:in|out`` for ``NK_<id>_IN|OUT``, None for any other chain."""
    m = _SERVICE_CHAIN.fullmatch(iptables_chain)
    if m is None:
        return None
    return service_chain(m.group(1), m.group(2).lower())


def parse_iptables_save(text: str) -> dict[str, int]:
    """Bytes per nodekeeper service chain from ``iptables-save -c`` output.

    Every ``NK_<id>_IN|OUT`` chain declared in the dump appears, with 0 when nothing jumps to it.
    """
    counters: dict[str, int] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(":"):  # ":NK_web_IN - [0:0]" declares a chain
            chain = nodekeeper_chain(line[1:].split(None, 1)[0]) if len(line) > 1 else None
            if chain is not None:
                counters.setdefault(chain, 0)
            continue
        m = _COUNTED_RULE.fullmatch(line)
        if m is None:
            continue
        try:
            words = shlex.split(m.group(3))
        except ValueError:  # an unbalanced quote in a comment: the plain words still do
            words = m.group(3).split()
        for i, word in enumerate(words[:-1]):
            if word in _JUMPS:
                chain = nodekeeper_chain(words[i + 1])
                if chain is not None:
                    counters[chain] = counters.get(chain, 0) + int(m.group(2))
                break
    return counters


def read_service_counters(*, iptables_save: str = "iptables-save") -> dict[str, int]:
    """Bytes per service chain (``service:<id>:in|out``) from the live iptables, or ``{}`` when
    iptables is missing or cannot be read (one info line per process says why)."""
    path = _which(iptables_save)
    if path is None:
        _tell(f"{iptables_save} not found: no per-service traffic counters")
        return {}
    try:
        done = subprocess.run(
            [path, "-c"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env={**os.environ, "LC_ALL": "C"},
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        _tell(f"{iptables_save} -c could not run ({exc}): no per-service traffic counters")
        return {}
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        _tell(f"{iptables_save} -c failed ({why}): no per-service traffic counters")
        return {}
    return parse_iptables_save(done.stdout)


def _which(program: str) -> str | None:
    """``shutil.which``, looked up again after WHICH_EVERY seconds: the collector asks every
    reading, and searching the PATH each time costs more than the rest of this module's work
    when iptables is absent."""
    key, now = (program, os.environ.get("PATH", "")), time.monotonic()
    found = _found.get(key)
    if found is None or now - found[0] >= WHICH_EVERY:
        found = _found[key] = (now, shutil.which(program))
    return found[1]


def _tell(message: str) -> None:
    global _told
    if not _told:
        _told = True
        log.info("%s", message)
