"""Import traditional LXC containers: ``DIR/<name>/config`` files into the store.

LXC keeps each container's configuration in its own directory; nodekeeper keeps it in the
store (seed 003). ``import_lxc`` reads every ``DIR/<name>/config`` and saves one container per
directory, in one transaction with a savepoint per container, so a bad container is reported
and rolled back alone while the others are imported. A second run updates, never duplicates.

Mapping (LXC has no profiles: what a config file holds is the container's whole setup):

- ``lxc.arch`` -> architecture (LXC's names: amd64, arm64, i386, armhf, linux64... accepted);
- ``lxc.net.N.*`` (LXC 3+) and legacy ``lxc.network.*`` (LXC 2) -> ``nic`` devices;
- ``lxc.mount.entry`` -> ``disk`` devices;
- ``lxc.environment = NAME=VALUE`` -> config ``environment.NAME``;
- every other key -> config under its LXC key, repeated keys joined by newlines.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import validate
from ..errors import NodekeeperError, ValidationError
from ..store.containers import ARCHITECTURES, ContainerInfo, architecture

__all__ = ["ImportReport", "ParseError", "import_lxc", "parse_container"]

CONFIG_FILE = "config"

_NET_KEY = re.compile(r"lxc\.net\.(\d+)(?:\.(.+))?")
# LXC nic keys -> nodekeeper device keys (LXC 2 spellings included).
_NIC_KEYS = {
    "link": "parent",
    "ipv4": "ipv4.address",
    "ipv6": "ipv6.address",
    "ipv4_gateway": "ipv4.gateway",
    "ipv6_gateway": "ipv6.gateway",
}
_NIC_DROPPED = {"flags"}  # "up": whether LXC brings the link up; no meaning in the store
# Keys LXC accumulates (one address or route per line); other nic keys: the last line wins.
_NIC_LISTS = {"ipv4.address", "ipv6.address", "veth.ipv4.route", "veth.ipv6.route"}
_NICTYPES = {"macvlan": "macvlan", "phys": "physical"}
_NO_DEVICE = {"empty", "none"}

_NOT_DEVICE_NAME = re.compile(r"[^-/._:a-zA-Z0-9]")
_FSTAB_ESCAPE = re.compile(r"\\(040|011|012|134)")  # what getmntent decodes
_MAX_DEVICE_NAME = 63


class ParseError(NodekeeperError):
    """A config file that cannot be read or understood; names the file and, where it helps,
    the line (``path``, ``line``, ``reason``)."""

    def __init__(self, path: Path | str, line: int | None, reason: str):
        self.path, self.line, self.reason = Path(path), line, reason
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # container name -> error message

    @property
    def ok(self) -> bool:
        """True when no container failed."""
        return not self.failed


# ---------------------------------------------------------------------------------------------
# reading config files


@dataclass(frozen=True)
class _Line:
    key: str
    value: str
    path: Path
    number: int

    def error(self, reason: str) -> ParseError:
        return ParseError(self.path, self.number, reason)


def read_config(path: Path) -> list[_Line]:
    """The ``key = value`` lines of a config file, ``lxc.include`` files spliced in place."""
    lines: list[_Line] = []
    _read(Path(path), lines, (), None)
    return lines


def _read(path: Path, out: list[_Line], stack: tuple[Path, ...], via: _Line | None) -> None:
    real = Path(os.path.realpath(path))
    if real in stack:
        assert via is not None
        chain = " -> ".join(str(p) for p in (*stack, real))
        raise via.error(f"lxc.include of {path} makes an include loop: {chain}")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        if via is not None:
            raise via.error(f"lxc.include: {path} does not exist") from None
        raise ParseError(path, None, "does not exist") from None
    except UnicodeDecodeError as exc:
        raise ParseError(path, None, f"is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ParseError(path, None, f"cannot be read: {exc.strerror or exc}") from None
    stack = (*stack, real)
    for number, raw in enumerate(text.split("\n"), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            raise ParseError(path, number, f"expected 'key = value', found {stripped[:60]!r}")
        if not key:
            raise ParseError(path, number, "a key is missing before '='")
        line = _Line(key, value, path, number)
        if key != "lxc.include":
            out.append(line)
            continue
        if not value:
            raise line.error("lxc.include needs a file or directory")
        # Relative to the including file; included files are named by their real path.
        target = Path(os.path.realpath(path.parent / value))
        if target.is_dir():
            try:
                files = sorted(f for f in target.iterdir() if f.name.endswith(".conf"))
            except OSError as exc:
                raise line.error(f"lxc.include: {target} cannot be read: {exc.strerror}") from None
            for included in files:
                if included.is_file():
                    _read(included, out, stack, line)
        else:
            _read(target, out, stack, line)


# ---------------------------------------------------------------------------------------------
# mapping into a ContainerInfo


class _Nic:
    """One LXC network interface: its keys (nodekeeper names) and where each was set."""

    def __init__(self, first: _Line, label: str):
        self.first, self.label = first, label
        self.keys: dict[str, tuple[str, _Line]] = {}

    def set(self, lxc_key: str, line: _Line) -> None:
        if lxc_key in _NIC_DROPPED:
            return
        key = _NIC_KEYS.get(lxc_key, lxc_key)
        try:
            validate.device_key(key, f"{self.label} key")
            value = validate.config_value(line.value, f"{self.label}.{lxc_key}")
        except ValidationError as exc:
            raise line.error(str(exc)) from None
        if key in _NIC_LISTS and key in self.keys:
            value = f"{self.keys[key][0]}\n{value}"
        self.keys[key] = (value, line)

    def device(self, default_name: str) -> tuple[str, dict[str, str], _Line] | None:
        if "type" not in self.keys:
            raise self.first.error(f"{self.label} has no type ({self.label}.type = veth, ...)")
        lxc_type, type_line = self.keys["type"]
        if lxc_type in _NO_DEVICE:
            return None
        device = {"type": "nic"}
        device.update((k, v) for k, (v, _) in self.keys.items() if k != "type")
        if lxc_type == "veth":
            device["nictype"] = "bridged" if "parent" in device else "p2p"
        else:
            device["nictype"] = _NICTYPES.get(lxc_type, lxc_type)
        name = device.get("name") or default_name
        name_line = self.keys["name"][1] if "name" in self.keys else type_line
        try:
            validate.device_name(name, f"{self.label} device name")
        except ValidationError as exc:
            raise name_line.error(str(exc)) from None
        return name, device, name_line


def _fstab_field(text: str) -> str:
    return _FSTAB_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), text)


def _disk(line: _Line) -> dict[str, str]:
    fields = [_fstab_field(f) for f in line.value.split()]
    if not 3 <= len(fields) <= 6:
        raise line.error(
            f"lxc.mount.entry needs 'SOURCE DEST FSTYPE [OPTIONS [DUMP PASS]]', found "
            f"{len(fields)} field(s) in {line.value!r} (write spaces in paths as \\040)"
        )
    source, dest = fields[0], fields[1]
    device = {"type": "disk", "source": source, "path": "/" + dest.lstrip("/")}
    if len(fields) > 3 and "ro" in fields[3].split(","):
        device["readonly"] = "true"
    for key, value in device.items():
        try:
            validate.config_value(value, f"lxc.mount.entry {key}")
        except ValidationError as exc:
            raise line.error(str(exc)) from None
    return device


def _disk_name(path: str, taken: set[str]) -> str:
    base = _NOT_DEVICE_NAME.sub("_", path.lstrip("/"))[:_MAX_DEVICE_NAME] or "root"
    if base.startswith("."):
        base = "_" + base[1:]
    name, n = base, 1
    while name in taken:
        n += 1
        suffix = f"-{n}"
        name = base[: _MAX_DEVICE_NAME - len(suffix)] + suffix
    return name


def _architecture(line: _Line) -> str:
    value = line.value.lower()
    try:
        return ARCHITECTURES[architecture(value, "lxc.arch")]
    except ValidationError as exc:
        raise line.error(str(exc)) from None


def parse_container(directory: Path) -> ContainerInfo:
    """The container that ``directory/config`` describes (named after the directory).

    Raises ValidationError for a name that is not hostname-like, ParseError (naming the file
    and line) for a config that cannot be read or mapped.
    """
    directory = Path(directory)
    name = validate.hostname(directory.name, "container name")
    config_path = directory / CONFIG_FILE
    if not config_path.is_file():
        reason = "is not a file" if config_path.exists() else "does not exist"
        raise ParseError(config_path, None, f"{reason}: not an LXC container directory")
    lines = read_config(config_path)

    arch = "x86_64"
    config: dict[str, list[str]] = {}
    environment: dict[str, str] = {}
    nets: dict[int, _Nic] = {}
    legacy: list[_Nic] = []
    mounts: list[_Line] = []
    for line in lines:
        key = line.key
        if key == "lxc.arch":
            arch = _architecture(line)
        elif key == "lxc.mount.entry":
            mounts.append(line)
        elif key == "lxc.environment":
            var, sep, value = line.value.partition("=")
            if not sep or not var:
                raise line.error(
                    f"lxc.environment needs NAME=VALUE, found {line.value!r} (a variable "
                    "inherited from the host environment cannot be imported)"
                )
            env_key = f"environment.{var}"
            _check_config(env_key, value, line)
            environment[env_key] = value  # the last setting wins, as in the environment
        elif key in ("lxc.net", "lxc.network"):
            if line.value:
                raise line.error(f"{key} takes no value (empty, it clears the interfaces so far)")
            (nets if key == "lxc.net" else legacy).clear()
        elif key.startswith("lxc.net."):
            match = _NET_KEY.fullmatch(key)
            if not match:
                raise line.error(f"unknown key {key!r}: expected lxc.net.<index>.<key>")
            index, sub = int(match.group(1)), match.group(2)
            if sub is None:
                if line.value:
                    raise line.error(f"{key} takes no value (empty, it clears that interface)")
                nets.pop(index, None)
                continue
            nets.setdefault(index, _Nic(line, f"lxc.net.{index}")).set(sub, line)
        elif key.startswith("lxc.network."):
            sub = key[len("lxc.network.") :]
            if sub == "type":
                legacy.append(_Nic(line, f"lxc.network (interface {len(legacy)})"))
            elif not legacy:
                raise line.error(f"{key} comes before any lxc.network.type")
            legacy[-1].set(sub, line)
        else:
            _check_config(key, line.value, line)
            config.setdefault(key, []).append(line.value)

    devices: dict[str, dict[str, str]] = {}
    interfaces = [(nets[i], f"eth{i}") for i in sorted(nets)]
    interfaces += [(nic, f"eth{i}") for i, nic in enumerate(legacy)]
    for nic, default_name in interfaces:
        found = nic.device(default_name)
        if found is None:
            continue
        dev_name, device, where = found
        if dev_name in devices:
            raise where.error(f"a second network interface is named {dev_name!r}")
        devices[dev_name] = device
    for line in mounts:
        device = _disk(line)
        devices[_disk_name(device["path"], set(devices))] = device

    merged = {key: "\n".join(values) for key, values in config.items()}
    merged.update(environment)
    return ContainerInfo(name=name, architecture=arch, config=merged, devices=devices)


def _check_config(key: str, value: str, line: _Line) -> None:
    try:
        validate.config_key(key)
        validate.config_value(value, key)
    except ValidationError as exc:
        raise line.error(str(exc)) from None


# ---------------------------------------------------------------------------------------------
# importing a directory of containers


def import_lxc(
    store,
    directory: str | os.PathLike[str],
    *,
    progress: Callable[[int, int, str], None] | None = None,
) -> ImportReport:
    """Import every ``directory/<name>/config`` as container ``<name>``.

    One transaction for the whole import, a savepoint per container: a container that fails
    (unreadable or invalid config, bad name...) is listed in ``failed`` with a message naming
    the file, leaves nothing of itself in the store and does not stop the others. Containers
    already in the store are replaced whole, keeping what LXC config cannot say: their
    profiles, power state and ephemeral flag. ``progress(done, total, name)`` is called after
    each container. Plain files in ``directory`` are ignored.
    """
    root = Path(directory)
    if not root.exists():
        raise ValidationError("directory", str(directory), "does not exist")
    if not root.is_dir():
        raise ValidationError("directory", str(directory), "is not a directory")
    try:
        subdirs = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name)
    except OSError as exc:
        raise ValidationError(
            "directory", str(directory), f"cannot be read: {exc.strerror}"
        ) from None

    # Read every file before taking the write lock.
    parsed: list[tuple[str, ContainerInfo | None, str | None]] = []
    for subdir in subdirs:
        try:
            parsed.append((subdir.name, parse_container(subdir), None))
        except ParseError as exc:
            parsed.append((subdir.name, None, str(exc)))
        except NodekeeperError as exc:
            parsed.append((subdir.name, None, f"{subdir}: {exc}"))

    report = ImportReport()
    total = len(parsed)
    with store.transaction() as conn:
        names = {name for name, info, _ in parsed if info is not None}
        stored = {}
        if names & set(store.containers.names()):
            stored = {c.name: c for c in store.containers.list() if c.name in names}
        for done, (name, info, error) in enumerate(parsed, 1):
            if info is not None:
                current = stored.get(name)
                if current is not None:
                    info.profiles = list(current.profiles)
                    info.power_state = current.power_state
                    info.ephemeral = current.ephemeral
                try:
                    with conn.begin_nested():
                        outcome = store.containers.save(info)
                except NodekeeperError as exc:  # database refusals arrive as StoreError
                    error = f"{root / name / CONFIG_FILE}: {exc}"
                else:
                    getattr(report, outcome).append(name)
            if error is not None:
                report.failed[name] = error
            if progress is not None:
                progress(done, total, name)
    return report
