"""A 1,000,000-line LXC config through ``nodekeeper import-lxc``, end to end, against reading
the same file line by line in plain Python (issue 10: it took 39.8 s and 847 MB).

Run on demand: ``pytest tests/perf/test_import_lxc_big_config.py -s``. Prints the import's
wall time and peak RSS, the baseline's, and the ratios, then holds the ratios to the targets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .child import NODEKEEPER, PEAK, measured

pytestmark = pytest.mark.perf

LINES = 1_000_000
MOUNTS = 1_000  # every 1000th line: a disk device each
TARGET_TIME_RATIO = 40  # the import against a plain read of the same lines
TARGET_RSS_MB = 400

# What LXC configs hold, repeated: comments, repeated keys, nic keys accumulated into lists.
_KINDS = [
    "# a comment {i}",
    "lxc.cap.drop = sys_module mac_admin",
    "lxc.net.{n}.ipv4.address = 10.{a}.{b}.{c}/32",
    "lxc.idmap = u 0 100000 65536",
    "lxc.environment = VAR{v}=value{i}",
    "lxc.hook.pre-start = /bin/true",
    "lxc.cgroup2.memory.max = {i}",
    "",
]


def write_config(path: Path) -> None:
    with open(path, "w") as out:
        for n in range(8):
            out.write(f"lxc.net.{n}.type = veth\nlxc.net.{n}.link = br{n}\n")
        for i in range(LINES - 16):
            if i % (LINES // MOUNTS) == 0:
                out.write(f"lxc.mount.entry = /srv/d{i} srv/d{i} none bind,create=dir 0 0\n")
                continue
            kind = _KINDS[i % len(_KINDS)]
            line = kind.format(i=i, n=i % 8, v=i % 1000, a=i >> 16 & 255, b=i >> 8 & 255, c=i & 255)
            out.write(line + "\n")


PLAIN_READ = "import sys\nfor line in open(sys.argv[1], 'rb'): pass\n" + PEAK


def test_a_million_line_config_imports_in_seconds_with_bounded_memory(tmp_path: Path):
    config = tmp_path / "lxc" / "big" / "config"
    config.parent.mkdir(parents=True)
    write_config(config)
    size_mb = config.stat().st_size / 2**20

    plain_s, plain_mb = measured(PLAIN_READ, str(config))
    db = str(tmp_path / "nk.db")
    import_s, import_mb = measured(NODEKEEPER, "import-lxc", str(config.parent.parent), "--db", db)

    print(f"\n{LINES:,}-line config ({size_mb:.0f} MiB), {MOUNTS} mounts, 8 nics")
    print(f"{'':24}{'seconds':>10}{'peak RSS MB':>14}")
    print(f"{'plain read (baseline)':24}{plain_s:10.2f}{plain_mb:14.0f}")
    print(f"{'nodekeeper import-lxc':24}{import_s:10.2f}{import_mb:14.0f}")
    print(f"{'ratio':24}{import_s / plain_s:10.1f}{import_mb / plain_mb:14.1f}")
    print(f"targets: time ratio <= {TARGET_TIME_RATIO}, peak RSS <= {TARGET_RSS_MB} MB")
    assert import_s / plain_s <= TARGET_TIME_RATIO
    assert import_mb <= TARGET_RSS_MB
