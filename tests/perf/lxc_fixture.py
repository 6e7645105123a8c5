"""A deterministic fleet of containers for the benchmarks: in the store and as LXC directories.

``generate()`` draws N containers (default 2,000; ``$NODEKEEPER_BENCH_CONTAINERS`` overrides)
from ``random.Random(seed)``: ~10 config keys each, two nics (eth0 on a managed ``network``,
eth1 bridged to a ``parent``) on br0..br4 and one disk; two of five profiles each, in apply
order. Profiles carry nics too (``mgmt0`` on br0 or br2, ``backup0`` on br4) and some
containers replace a profile's nic with a local device of the same name, so answering "which
containers use br0?" needs the overlay rules, not just a search for "br0".

``write_store()`` puts the fleet into a store (profiles, then every container in one
transaction). ``write_lxc()`` writes ``DIR/<name>/config`` in LXC 3 syntax with the *expanded*
devices and config, what each container effectively has, since LXC has no profiles; every
config includes ``DIR/common.conf`` as LXC distributions' configs do.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONTAINERS = 2000
SEED = 20260523
BRIDGES = [f"br{i}" for i in range(5)]
NETWORK_KEYS = ("network", "parent")

Devices = dict[str, dict[str, str]]


def bench_size() -> int:
    return int(os.environ.get("NODEKEEPER_BENCH_CONTAINERS", DEFAULT_CONTAINERS))


def _nic(key: str, bridge: str) -> dict[str, str]:
    nic = {"type": "nic", key: bridge}
    if key == "parent":
        nic["nictype"] = "bridged"
    return nic


PROFILES: dict[str, tuple[dict[str, str], Devices]] = {
    "base": ({"limits.processes": "2000", "boot.host_shutdown_timeout": "30"}, {}),
    "mgmt": ({"user.mgmt": "true"}, {"mgmt0": _nic("parent", "br0")}),
    # mgmt0 again: with "mgmt" or "web" too, the profile applied later wins.
    "isolated": ({"security.idmap.isolated": "true"}, {"mgmt0": _nic("network", "br2")}),
    "web": ({"limits.memory": "1GiB"}, {"mgmt0": _nic("network", "br0")}),
    "backup": (
        {"snapshots.schedule": "@daily"},
        {"backup0": _nic("parent", "br4"), "backups": {"type": "disk", "source": "/srv/backups",
                                                       "path": "/backups"}},
    ),
}  # fmt: skip


@dataclass
class BenchContainer:
    name: str
    architecture: str
    profiles: list[str]
    config: dict[str, str]
    devices: Devices

    def expanded(self) -> tuple[dict[str, str], Devices]:
        """Profiles in apply order, then the container's own; devices replaced whole by name."""
        config: dict[str, str] = {}
        devices: Devices = {}
        for name in self.profiles:
            p_config, p_devices = PROFILES[name]
            config.update(p_config)
            devices.update({k: dict(v) for k, v in p_devices.items()})
        config.update(self.config)
        devices.update({k: dict(v) for k, v in self.devices.items()})
        return config, devices


@dataclass
class BenchData:
    containers: list[BenchContainer] = field(default_factory=list)

    def using_network(self, network: str) -> set[str]:
        """The expected answer, computed from the model itself."""
        return {
            c.name
            for c in self.containers
            if any(
                dev["type"] == "nic" and any(dev.get(k) == network for k in NETWORK_KEYS)
                for dev in c.expanded()[1].values()
            )
        }


def generate(n: int | None = None, seed: int = SEED) -> BenchData:
    rng = random.Random(seed)
    n = bench_size() if n is None else n
    data = BenchData()
    owners = ["alice", "bob", "carol", "dave", "erin", "frank"]
    for i in range(n):
        name = f"c{i:05d}"
        profiles = rng.sample(sorted(PROFILES), 2)
        config = {
            "limits.cpu": str(rng.choice([1, 2, 4, 8])),
            "limits.memory": f"{rng.choice([256, 512, 1024, 2048, 4096])}MiB",
            "limits.processes": str(rng.choice([500, 1000, 4000])),
            "security.nesting": rng.choice(["true", "false"]),
            "security.privileged": "false",
            "boot.autostart": rng.choice(["true", "false"]),
            "boot.autostart.priority": str(rng.randint(0, 100)),
            "user.owner": rng.choice(owners),
            "user.team": f"team-{rng.randint(1, 40)}",
            "user.comment": f"generated container {i} for the benchmark",
        }
        devices: Devices = {
            "eth0": _nic("network", rng.choice(BRIDGES)),
            "eth1": _nic("parent", rng.choice(BRIDGES)),
            "data": {"type": "disk", "source": f"/srv/data/{name}", "path": "/srv/data"},
        }
        devices["eth0"]["hwaddr"] = f"00:16:3e:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
        inherited = {d for p in profiles for d in PROFILES[p][1]}
        if "mgmt0" in inherited and rng.random() < 0.3:
            # replace the profile's mgmt0 with a local one, on another bridge or the same
            devices["mgmt0"] = _nic("parent", rng.choice(BRIDGES))
        data.containers.append(
            BenchContainer(
                name=name,
                architecture=rng.choice(["x86_64", "x86_64", "x86_64", "aarch64"]),
                profiles=profiles,
                config=config,
                devices=devices,
            )
        )
    return data


def write_store(store, data: BenchData) -> None:
    for name, (config, devices) in PROFILES.items():
        store.profiles.create(name, config=config, devices=devices)
    with store.transaction():
        for c in data.containers:
            store.containers.create(
                c.name,
                architecture=c.architecture,
                profiles=c.profiles,
                config=c.config,
                devices=c.devices,
            )


# ---------------------------------------------------------------------------------------------
# the same containers as traditional LXC directories

COMMON_CONF = """\
# Shared by every container, as /usr/share/lxc/config/common.conf is.
lxc.cap.drop = mac_admin mac_override sys_time sys_module sys_rawio
lxc.cgroup2.devices.deny = a
lxc.cgroup2.devices.allow = c 1:3 rwm
lxc.cgroup2.devices.allow = c 1:5 rwm
lxc.cgroup2.devices.allow = c 1:7 rwm
lxc.cgroup2.devices.allow = c 5:0 rwm
lxc.cgroup2.devices.allow = c 136:* rwm
lxc.mount.auto = cgroup:mixed proc:mixed sys:mixed
lxc.seccomp.profile = /usr/share/lxc/config/common.seccomp
"""


def lxc_config(c: BenchContainer) -> str:
    config, devices = c.expanded()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}[c.architecture]
    lines = [
        "# Template used to create this container: /usr/share/lxc/templates/lxc-download",
        "lxc.include = ../common.conf",
        "",
        f"lxc.arch = {arch}",
        f"lxc.uts.name = {c.name}",
        f"lxc.rootfs.path = dir:/var/lib/lxc/{c.name}/rootfs",
        "",
    ]
    # what LXC can say of the LXD-style config; the rest stays as comments
    cpus = int(config["limits.cpu"])
    lines.append(
        f"lxc.cgroup2.cpuset.cpus = 0-{cpus - 1}" if cpus > 1 else "lxc.cgroup2.cpuset.cpus = 0"
    )
    lines.append(f"lxc.cgroup2.memory.max = {config['limits.memory'].removesuffix('iB')}")
    lines.append(f"lxc.cgroup2.pids.max = {config['limits.processes']}")
    if config.get("security.nesting") == "true":
        lines.append("lxc.apparmor.allow_nesting = 1")
    lines += ["lxc.idmap = u 0 100000 65536", "lxc.idmap = g 0 100000 65536"]
    lines.append(f"lxc.start.auto = {1 if config['boot.autostart'] == 'true' else 0}")
    lines.append(f"lxc.start.order = {config['boot.autostart.priority']}")
    lines += [f"# {k} = {v}" for k, v in sorted(config.items()) if k.startswith("user.")]
    lines.append("")
    index = 0
    for dev_name, dev in sorted(devices.items()):
        if dev["type"] == "nic":
            link = dev.get("network") or dev["parent"]
            lines += [
                f"lxc.net.{index}.type = veth",
                f"lxc.net.{index}.link = {link}",
                f"lxc.net.{index}.flags = up",
                f"lxc.net.{index}.name = {dev_name}",
            ]
            if "hwaddr" in dev:
                lines.append(f"lxc.net.{index}.hwaddr = {dev['hwaddr']}")
            index += 1
    for dev in (d for _, d in sorted(devices.items()) if d["type"] == "disk"):
        lines.append(
            f"lxc.mount.entry = {dev['source']} {dev['path'].lstrip('/')} none bind,create=dir 0 0"
        )
    return "\n".join(lines) + "\n"


def write_lxc(directory: Path, data: BenchData) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "common.conf").write_text(COMMON_CONF)  # a plain file: import_lxc skips it
    for c in data.containers:
        (directory / c.name).mkdir(exist_ok=True)
        (directory / c.name / "config").write_text(lxc_config(c))
    return directory
