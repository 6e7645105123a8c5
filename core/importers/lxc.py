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
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .. import validate
from ..errors import NodekeeperError, ValidationError
from ..store.containers import ContainerInfo
from ..store.lxd_common import ARCHITECTURES, architecture

__all__ = ["ImportReport", "ParseError", "import_lxc", "parse_container"]

CONFIG_FILE = "config"

# What one container's config may make nodekeeper read (the README states them). LXC includes
# files from anywhere on the host, so these bound the work a hostile directory can cause.
MAX_CONFIG_BYTES = 64 << 20  # a config file, and the config with all its includes together
# What opening a file and listing a directory entry cost against that budget: without them, one
# directory of many empty *.conf files included on every line costs files x lines, not lines.
OPEN_COST = 4096
ENTRY_COST = 64
OVER_BUDGET = (
    f"the config and its includes pass {MAX_CONFIG_BYTES >> 20} MiB "
    f"(each file opened counts {OPEN_COST >> 10} KiB at least)"
)
MAX_LINE_BYTES = 64 << 10
MAX_INCLUDE_DEPTH = 16  # nested lxc.include levels below the container's config
MAX_PATH_BYTES = 4095  # an lxc.include path: PATH_MAX less the terminating NUL

_NET_KEY = re.compile(r"lxc\.net\.(\d{1,9})(?:\.(.+))?")
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


class _Line:
    """One ``key = value`` line and where it was read (for errors)."""

    __slots__ = ("key", "value", "path", "number")

    def __init__(self, key: str, value: str, path: Path, number: int):
        self.key, self.value, self.path, self.number = key, value, path, number

    def error(self, reason: str) -> ParseError:
        return ParseError(self.path, self.number, reason)


_FILE_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def _not_regular(mode: int) -> str:
    kind = _FILE_KINDS.get(stat.S_IFMT(mode), "not a regular file")
    return f"is {kind}: only regular files are read"


class _ConfigReader:
    """Reads one container's config file and the files it includes, within the limits above.

    Lines are produced one at a time (``lines``), so memory does not grow with the size of the
    files, and each byte is read once. Errors name the file and line but quote none of the
    text: an included file may be anything on the host (``lxc.include = /etc/shadow``).
    """

    def __init__(self) -> None:
        self.budget = MAX_CONFIG_BYTES  # bytes left for this container, includes counted
        self.open_files: list[tuple[tuple[int, int], Path]] = []  # the include chain

    def lines(self, path: Path, via: _Line | None = None) -> Iterator[_Line]:
        """The ``key = value`` lines of ``path`` (``via``: the lxc.include line naming it),
        included files spliced in place."""

        def refuse(reason: str) -> ParseError:
            if via is None:
                return ParseError(path, None, reason)
            return via.error(f"lxc.include: {path} {reason}")

        # stat before opening: opening a FIFO blocks and opening a device can act on it.
        try:
            mode = os.stat(path).st_mode
            if not stat.S_ISREG(mode):
                raise refuse(_not_regular(mode))
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise refuse("does not exist") from None
        except OSError as exc:
            raise refuse(f"cannot be read: {exc.strerror or exc}") from None
        with open(fd, "rb") as handle:
            self._spend(OPEN_COST, refuse)
            # fstat the opened file: it may have been swapped since the stat above.
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise refuse(_not_regular(info.st_mode))
            if info.st_size > MAX_CONFIG_BYTES:
                raise refuse(f"is larger than {MAX_CONFIG_BYTES >> 20} MiB")
            identity = (info.st_dev, info.st_ino)
            chain = [p for _, p in self.open_files]
            if any(identity == opened for opened, _ in self.open_files):
                loop = " -> ".join(str(p) for p in (*chain, path))
                raise refuse(f"makes an include loop: {loop}")
            if len(self.open_files) > MAX_INCLUDE_DEPTH:
                raise refuse(f"is nested more than {MAX_INCLUDE_DEPTH} includes deep")
            self.open_files.append((identity, path))
            try:
                yield from self._parse(handle, path)
            finally:
                self.open_files.pop()

    def _parse(self, handle: BinaryIO, path: Path) -> Iterator[_Line]:
        number = 0
        readline = handle.readline
        while True:
            try:
                raw = readline(MAX_LINE_BYTES + 1)
            except OSError as exc:
                raise ParseError(
                    path, number + 1, f"cannot be read: {exc.strerror or exc}"
                ) from None
            if not raw:
                return
            number += 1
            self.budget -= len(raw)  # _spend, inlined: this runs for every line
            if self.budget < 0:
                raise ParseError(path, number, OVER_BUDGET)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise ParseError(path, number, f"the line is longer than {MAX_LINE_BYTES} bytes")
            if b"\0" in raw:
                raise ParseError(path, number, "the line contains a NUL byte")
            try:
                stripped = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                raise ParseError(path, number, "the line is not UTF-8 text") from None
            if not stripped or stripped[0] == "#":
                continue
            key, sep, value = stripped.partition("=")
            if not sep:
                raise ParseError(path, number, "expected 'key = value'")
            key = key.strip()
            if not key:
                raise ParseError(path, number, "a key is missing before '='")
            line = _Line(key, value.strip(), path, number)
            if key == "lxc.include":
                yield from self._include(line)
            else:
                yield line

    def _spend(self, cost: int, error: Callable[[str], ParseError]) -> None:
        """Take ``cost`` from the container's budget: the bytes of its lines, and a little for
        every file opened and directory entry listed, so that the work stays linear."""
        self.budget -= cost
        if self.budget < 0:
            raise error(OVER_BUDGET)

    def _include(self, line: _Line) -> Iterator[_Line]:
        if not line.value:
            raise line.error("lxc.include needs a file or directory")
        if len(line.value.encode()) > MAX_PATH_BYTES:
            raise line.error(f"lxc.include: the path is longer than {MAX_PATH_BYTES} bytes")
        # Relative to the including file; included files are named by their real path.
        target = Path(os.path.realpath(line.path.parent / line.value))
        try:
            is_dir = stat.S_ISDIR(os.stat(target).st_mode)
        except OSError:
            is_dir = False  # lines() says why it cannot be read
        if not is_dir:
            yield from self.lines(target, line)
            return
        # A directory: its *.conf files in name order, as LXC does.
        try:
            with os.scandir(target) as entries:
                listed = [e.name for e in entries]
        except OSError as exc:
            raise line.error(f"lxc.include: {target} cannot be read: {exc.strerror}") from None
        self._spend(ENTRY_COST * len(listed), lambda reason: line.error(f"lxc.include: {reason}"))
        names = sorted(name for name in listed if name.endswith(".conf"))
        for name in names:
            yield from self.lines(target / name, line)


# ---------------------------------------------------------------------------------------------
# mapping into a ContainerInfo


def _broken_rule(line: _Line, exc: ValidationError) -> ParseError:
    """A rule a line breaks, without the value that broke it (see _ConfigReader)."""
    return line.error(f"{exc.field} {exc.reason}")


class _Nic:
    """One LXC network interface: its keys (nodekeeper names) and where each was set."""

    def __init__(self, first: _Line, label: str):
        self.first, self.label = first, label
        self.keys: dict[str, tuple[list[str], _Line]] = {}

    def set(self, lxc_key: str, line: _Line) -> None:
        if lxc_key in _NIC_DROPPED:
            return
        key = _NIC_KEYS.get(lxc_key, lxc_key)
        try:
            validate.device_key(key, f"{self.label} key")
        except ValidationError as exc:
            raise _broken_rule(line, exc) from None
        if key in _NIC_LISTS and key in self.keys:
            self.keys[key][0].append(line.value)  # joined once, in device()
        else:
            self.keys[key] = ([line.value], line)

    def device(self, default_name: str) -> tuple[str, dict[str, str], _Line] | None:
        if "type" not in self.keys:
            raise self.first.error(f"{self.label} has no type ({self.label}.type = veth, ...)")
        (lxc_type,), type_line = self.keys["type"]
        if lxc_type in _NO_DEVICE:
            return None
        device = {"type": "nic"}
        device.update((k, "\n".join(v)) for k, (v, _) in self.keys.items() if k != "type")
        if lxc_type == "veth":
            device["nictype"] = "bridged" if "parent" in device else "p2p"
        else:
            device["nictype"] = _NICTYPES.get(lxc_type, lxc_type)
        name = device.get("name") or default_name
        name_line = self.keys["name"][1] if "name" in self.keys else type_line
        try:
            validate.device_name(name, f"{self.label} device name")
        except ValidationError as exc:
            raise _broken_rule(name_line, exc) from None
        return name, device, name_line


def _fstab_field(text: str) -> str:
    return _FSTAB_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), text)


def _disk(line: _Line) -> dict[str, str]:
    fields = [_fstab_field(f) for f in line.value.split()]
    if not 3 <= len(fields) <= 6:
        raise line.error(
            f"lxc.mount.entry needs 'SOURCE DEST FSTYPE [OPTIONS [DUMP PASS]]', found "
            f"{len(fields)} field(s) (write spaces in paths as \\040)"
        )
    source, dest = fields[0], fields[1]
    device = {"type": "disk", "source": source, "path": "/" + dest.lstrip("/")}
    if len(fields) > 3 and "ro" in fields[3].split(","):
        device["readonly"] = "true"
    return device


class _DeviceNames:
    """Names for disk devices, after their path: ``srv``, then ``srv-2``, ``srv-3``...

    Each stem remembers the next number to try, so naming N disks on one path is linear, not
    quadratic. A number is only skipped when its name is taken, and a taken name is skipped
    at most once: ``stem-N`` splits into one stem and one number.
    """

    def __init__(self, taken: set[str]):
        self.taken = taken
        self.next_number: dict[str, int] = {}

    def new(self, path: str) -> str:
        base = _NOT_DEVICE_NAME.sub("_", path.lstrip("/"))[:_MAX_DEVICE_NAME] or "root"
        if base.startswith("."):
            base = "_" + base[1:]
        name, number = base, 2
        while name in self.taken:
            width = len(f"-{number}")
            stem = base[: _MAX_DEVICE_NAME - width]  # shorter as the number grows
            number = max(number, self.next_number.get(stem, 2))
            if len(f"-{number}") != width:
                continue  # a longer number: a shorter stem, with its own next number
            name = f"{stem}-{number}"
            number += 1
            self.next_number[stem] = number
        self.taken.add(name)
        return name


def _architecture(line: _Line) -> str:
    value = line.value.lower()
    try:
        return ARCHITECTURES[architecture(value, "lxc.arch")]
    except ValidationError as exc:
        raise _broken_rule(line, exc) from None


def parse_container(directory: Path) -> ContainerInfo:
    """The container that ``directory/config`` describes (named after the directory).

    Raises ValidationError for a name that is not hostname-like, ParseError (naming the file
    and line, quoting none of its text) for a config that cannot be read or mapped.
    """
    directory = Path(directory)
    name = validate.hostname(directory.name, "container name")
    config_path = directory / CONFIG_FILE
    if not config_path.exists() and not config_path.is_symlink():
        raise ParseError(config_path, None, "does not exist: not an LXC container directory")

    arch = "x86_64"
    config: dict[str, list[str]] = {}
    environment: dict[str, str] = {}
    nets: dict[int, _Nic] = {}
    legacy: list[_Nic] = []
    disks: list[dict[str, str]] = []
    for line in _ConfigReader().lines(config_path):
        key = line.key
        if key == "lxc.arch":
            arch = _architecture(line)
        elif key == "lxc.mount.entry":
            disks.append(_disk(line))
        elif key == "lxc.environment":
            var, sep, value = line.value.partition("=")
            if not sep or not var:
                raise line.error(
                    "lxc.environment needs NAME=VALUE (a variable inherited from the host "
                    "environment cannot be imported)"
                )
            env_key = f"environment.{var}"
            _check_key(env_key, line)
            environment[env_key] = value  # the last setting wins, as in the environment
        elif key in ("lxc.net", "lxc.network"):
            if line.value:
                raise line.error(f"{key} takes no value (empty, it clears the interfaces so far)")
            (nets if key == "lxc.net" else legacy).clear()
        elif key.startswith("lxc.net."):
            match = _NET_KEY.fullmatch(key)
            if not match:
                raise line.error("expected lxc.net.<index>.<key> (an index of 1 to 9 digits)")
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
                raise line.error("an lxc.network key comes before any lxc.network.type")
            legacy[-1].set(sub, line)
        else:
            _check_key(key, line)
            values = config.get(key)
            if values is None:
                config[key] = [line.value]
            else:
                values.append(line.value)

    devices: dict[str, dict[str, str]] = {}
    named_by: dict[str, _Nic] = {}
    interfaces = [(nets[i], f"eth{i}") for i in sorted(nets)]
    interfaces += [(nic, f"eth{i}") for i, nic in enumerate(legacy)]
    for nic, default_name in interfaces:
        found = nic.device(default_name)
        if found is None:
            continue
        dev_name, device, where = found
        if dev_name in devices:
            raise where.error(f"{nic.label} has the device name of {named_by[dev_name].label}")
        devices[dev_name], named_by[dev_name] = device, nic
    names = _DeviceNames(set(devices))
    for device in disks:
        devices[names.new(device["path"])] = device

    merged = {key: "\n".join(values) for key, values in config.items()}
    merged.update(environment)
    return ContainerInfo(name=name, architecture=arch, config=merged, devices=devices)


def _check_key(key: str, line: _Line) -> None:
    try:
        validate.config_key(key)
    except ValidationError as exc:
        raise _broken_rule(line, exc) from None


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
