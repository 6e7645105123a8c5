"""Demo data: ``fill(store)`` makes a store look like a busy container host.

Containers on several bridges with profiles and images, services with claim sets and traffic
limits, and ``days`` of metric history, log events and traffic accounting. Everything goes
through the store's public API (bulk paths where there is one) in one transaction: all of it is
written or none. The same ``seed`` and ``now`` give the same data, for screenshots, snapshot
tests and benchmarks::

    from core import open_store
    from core.demo import fill

    store = open_store(":memory:")
    summary = fill(store, containers=50, days=3, seed=1)
    print(summary.describe())
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import islice

from sqlalchemy import func, insert, select

from .errors import NodekeeperError, NotFound, ValidationError
from .models.telemetry import LogEvent
from .samples import NetworkSample, SystemSample
from .settings import tunable
from .store import CertificateInfo, ContainerInfo, ImageInfo, ProfileInfo, ServiceInfo, Store
from .store.telemetry import EVENTS, HOURLY, META, NETWORK, SYSTEM, WATERMARK
from .text import counted
from .traffic_rules import Reading, period_start, service_chain

SAMPLE_EVERY = 60  # seconds between metric samples (a multiple of the collector's interval)
READING_EVERY = 3600  # seconds between traffic readings
MAX_CONTAINERS = 100_000
# Containers written per store call: a few statements per table each time, memory flat, the
# progress shown between them.
CONTAINER_BATCH = 500
MAX_DAYS = 366
DAY = 86400
GiB = 1 << 30
MiB = 1 << 20

# (stage, done, total): each stage reported from 0, so its rate and time left count from its start
Progress = Callable[[str, int, int], None]


class StoreNotEmpty(NodekeeperError):
    """The store already holds resources; ``fill(..., force=True)`` adds to them anyway. The
    message speaks to the user of ``nodekeeper demo``, who meets it: ``--force``."""

    def __init__(self, where: str, found: dict[str, list[str]]):
        self.found = found  # plural kind ("containers") -> names
        parts = []
        for kind, names in found.items():
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            parts.append(f"{counted(len(names), kind.removesuffix('s'), kind)} ({shown})")
        super().__init__(
            f"the store {where} is not empty: it holds {', '.join(parts)}; the demo fills an "
            "empty store: use --force to add the demo data anyway, replacing resources of the "
            "same name"
        )


@dataclass(frozen=True)
class DemoSummary:
    """What ``fill`` wrote."""

    seed: int
    days: int
    containers: int
    profiles: int
    images: int
    certificates: int
    services: int
    claim_sets: int  # distinct claim sets
    bindings: int  # claim set to service bindings
    replaced: int  # resources that existed (force=True) and were replaced
    system_samples: int
    network_samples: int
    log_events: int  # including the traffic limit warnings
    traffic_chains: int
    traffic_periods: int  # finished periods written to traffic_history
    hourly_aggregates: int
    daily_aggregates: int
    limit_exceeded: tuple[str, ...]  # services over a traffic limit now

    def describe(self) -> str:
        replaced = f" ({self.replaced:,} replaced)" if self.replaced else ""
        text = (
            f"created {self.containers:,} containers, {self.profiles} profiles, "
            f"{self.images} images, {self.certificates} certificates, {self.services} services, "
            f"{self.claim_sets} claim sets bound {self.bindings} times{replaced}"
        )
        if not self.days:
            return text + "; no history (--days 0)"
        over = ", ".join(self.limit_exceeded) or "none"
        return (
            f"{text}; {self.system_samples:,} system samples and {self.network_samples:,} "
            f"network samples over {self.days} day{'s' if self.days != 1 else ''}, {self.log_events:,} log events, "
            f"{self.traffic_chains} traffic chains with {self.traffic_periods:,} finished "
            f"periods (over a limit: {over}), {self.hourly_aggregates:,} hourly and "
            f"{self.daily_aggregates} daily aggregates"
        )


# ---------------------------------------------------------------------------------------------
# the node's resources

PROFILES = (
    ProfileInfo(
        "default",
        "Every container: a nic on lxdbr0 and the root disk",
        {},
        {
            "eth0": {"type": "nic", "network": "lxdbr0", "name": "eth0"},
            "root": {"type": "disk", "path": "/", "pool": "default"},
        },
    ),
    ProfileInfo(
        "web",
        "Web tier: 2 CPUs, 2 GiB, starts at boot",
        {"limits.cpu": "2", "limits.memory": "2GiB", "boot.autostart": "true"},
        {},
    ),
    ProfileInfo(
        "db",
        "Databases: 4 CPUs, 8 GiB, a second nic on the storage network",
        {"limits.cpu": "4", "limits.memory": "8GiB", "limits.memory.swap": "false"},
        {"eth1": {"type": "nic", "network": "br-storage", "name": "eth1", "mtu": "9000"}},
    ),
    ProfileInfo(
        "dmz",
        "Public-facing: a second nic bridged to br-dmz",
        {"security.idmap.isolated": "true"},
        {"eth1": {"type": "nic", "nictype": "bridged", "parent": "br-dmz", "name": "eth1"}},
    ),
    ProfileInfo(
        "gpu",
        "Inference: the first GPU passed through",
        {"nvidia.runtime": "true", "limits.memory": "16GiB"},
        {"gpu0": {"type": "gpu", "gputype": "physical", "id": "0"}},
    ),
    ProfileInfo(
        "nesting",
        "CI runners: nested containers and Docker",
        {"security.nesting": "true", "security.syscalls.intercept.mknod": "true"},
        {},
    ),
)


@dataclass(frozen=True)
class _Image:
    os: str
    release: str
    version: str
    arch: str  # LXD's name (x86_64, aarch64); the property is Debian's (amd64, arm64)
    aliases: tuple[str, ...]
    title: str
    size: int
    age_days: int
    public: bool = True
    cached: bool = False


IMAGES = (
    _Image("ubuntu", "noble", "24.04", "x86_64", ("ubuntu/24.04", "ubuntu/noble"),
           "Ubuntu 24.04 LTS", 248_117_504, 9),
    _Image("ubuntu", "jammy", "22.04", "x86_64", ("ubuntu/22.04", "ubuntu/jammy"),
           "Ubuntu 22.04 LTS", 231_649_280, 41),
    _Image("debian", "bookworm", "12", "x86_64", ("debian/12", "debian/bookworm"),
           "Debian 12", 118_374_400, 23),
    _Image("alpine", "3.20", "3.20", "x86_64", ("alpine/3.20",), "Alpine 3.20", 3_424_256, 5),
    _Image("alpine", "3.20", "3.20", "aarch64", ("alpine/3.20/arm64",), "Alpine 3.20",
           3_207_168, 5, public=False, cached=True),
    _Image("rockylinux", "9", "9", "x86_64", ("rockylinux/9",), "Rocky Linux 9", 142_606_336,
           64, public=False, cached=True),
)  # fmt: skip
DEBIAN_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


@dataclass(frozen=True)
class _Role:
    name: str
    weight: int
    profiles: tuple[tuple[str, ...], ...]  # one of these profile lists
    images: tuple[str, ...]  # aliases
    running: float  # share of them running


ROLES = (
    _Role("web", 16, (("default", "web"), ("default", "web", "dmz")), ("ubuntu/24.04", "alpine/3.20"), 0.9),
    _Role("api", 12, (("default", "web"),), ("ubuntu/24.04", "debian/12"), 0.9),
    _Role("db", 8, (("default", "db"),), ("ubuntu/22.04", "debian/12"), 0.95),
    _Role("cache", 9, (("default",),), ("alpine/3.20",), 0.85),
    _Role("worker", 14, (("default",),), ("debian/12", "ubuntu/24.04"), 0.75),
    _Role("ci-runner", 12, (("default", "nesting"),), ("ubuntu/24.04",), 0.5),
    _Role("proxy", 5, (("default", "dmz"),), ("alpine/3.20",), 1.0),
    _Role("ml", 3, (("default", "gpu"),), ("ubuntu/22.04",), 0.66),
    _Role("backup", 4, (("default",),), ("debian/12",), 0.8),
    _Role("monitor", 4, (("default",),), ("ubuntu/24.04",), 1.0),
    _Role("dev", 9, (("default",), ("default", "nesting")), ("ubuntu/24.04", "debian/12", "alpine/3.20"), 0.4),
)  # fmt: skip
TEAMS = ("platform", "payments", "search", "data", "infra", "mobile")

MEDIA_SYNC_DL_LIMIT = 3 * GiB  # its download in a day goes over this
# Services (seed 000): what runs on the node for its tenants, with traffic shapes per hour.
SERVICES = (
    ServiceInfo("nginx", version=7, path="/var/aos/services/nginx", service="nginx.service",
                user="www-data", permissions='{"network": "rw", "storage": "ro"}',
                state="running", ttl=365, ul_limit=60 * GiB, dl_limit=20 * GiB,
                storage_limit=2 * GiB, state_limit=64 * MiB,
                alert_rules='{"cpu": {"max": 90, "for": "5m"}}'),
    ServiceInfo("telemetry-agent", version=3, path="/var/aos/services/telemetry-agent",
                service="aos_telemetry-agent.service", user="aos-telemetry", state="running",
                ttl=365, ul_limit=2 * GiB, dl_limit=512 * MiB, storage_limit=256 * MiB),
    ServiceInfo("backup", version=12, path="/var/aos/services/backup",
                service="aos_backup.service", user="root", state="stopped", ttl=90,
                ul_limit=400 * GiB, dl_limit=8 * GiB, storage_limit=500 * GiB),
    ServiceInfo("media-sync", version=2, path="/var/aos/services/media-sync",
                service="aos_media-sync.service", user="aos-media", state="running", ttl=30,
                ul_limit=4 * GiB, dl_limit=MEDIA_SYNC_DL_LIMIT, storage_limit=100 * GiB),
    ServiceInfo("mqtt-broker", version=5, path="/var/aos/services/mqtt-broker",
                service="mosquitto.service", user="mosquitto", state="running", ttl=365,
                ul_limit=10 * GiB, dl_limit=10 * GiB, state_limit=16 * MiB),
    ServiceInfo("ota-updater", version=1, path="/var/aos/services/ota-updater",
                service="aos_ota-updater.service", user="aos-ota", state="failed",
                status="error", ttl=30, dl_limit=50 * GiB),
)  # fmt: skip
# service id -> (days since it started, mean bytes per hour in, out, traffic shape)
SERVICE_TRAFFIC = {
    "nginx": (12, 350 * MiB, 1100 * MiB, "diurnal"),
    "telemetry-agent": (20, 2 * MiB, 30 * MiB, "flat"),
    "backup": (33, 20 * MiB, 9 * GiB, "nightly"),  # bytes per night
    "media-sync": (6, 210 * MiB, 25 * MiB, "diurnal"),  # over its 3 GiB download limit daily
    "mqtt-broker": (50, 40 * MiB, 60 * MiB, "flat"),
    "ota-updater": (40, 5 * MiB, 1 * MiB, "flat"),  # ttl 30 days: expired
}
CLAIM_SETS = (
    (("user1", "subject2"), ("nginx", "telemetry-agent", "mqtt-broker")),
    (("tenant-a", "subject-7"), ("nginx", "media-sync", "backup")),
    (("ops",), ("telemetry-agent", "backup")),
    (("tenant-b",), ("ota-updater",)),
)
SERVER_CONFIG = {
    "core.https_address": "[::]:8443",
    "images.auto_update_interval": "6",
    "users.current": json.dumps(sorted(CLAIM_SETS[0][0]), separators=(",", ":")),
}
CERTIFICATES = (("admin-laptop", "client"), ("backup-server", "client"), ("prometheus", "metrics"))

# Addresses from the documentation ranges (RFC 5737): attackers and admins that cannot exist.
ATTACKERS = tuple(
    f"{net}.{host}" for net in ("203.0.113", "198.51.100", "192.0.2")
    for host in (7, 45, 88, 121, 199)
) + ("2001:db8:4b1d::17", "2001:db8:ac1:9::5")  # IPv6 ones too (RFC 3849)  # fmt: skip
ADMINS = (("alice", "10.20.0.15"), ("bob", "10.20.0.23"), ("deploy", "10.20.0.40"))
TRIED_USERS = (
    "root", "admin", "ubuntu", "test", "oracle", "postgres", "git", "pi", "user", "j.smith",
    "web-admin", "backup.svc",
)  # fmt: skip
SCANNERS = tuple(f"198.51.100.{h}" for h in (3, 17, 29, 64, 130, 201, 244))  # one /24 sweeping
HOST_IP = "192.0.2.10"


def _sha(*parts: object) -> bytes:
    return hashlib.sha256(":".join(map(str, parts)).encode()).digest()


def _minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)


# ---------------------------------------------------------------------------------------------
# fill


def fill(
    store: Store,
    *,
    containers: int = 50,
    days: int = 3,
    seed: int = 1,
    now: datetime | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> DemoSummary:
    """Fill ``store`` with a realistic node: ``containers`` containers and ``days`` days of
    history up to ``now`` (default: the current time), from ``seed``; see the module docstring.

    The same seed and ``now`` give the same data; the wall clock is not read when ``now`` is
    given. Samples are on a ``SAMPLE_EVERY`` grid ending at ``now``'s minute. A store that
    already holds resources is refused (StoreNotEmpty) unless ``force``: then same-named
    resources are replaced, and history, events and traffic are written only where the store
    has none yet, so filling twice doubles nothing. One transaction: all or nothing.
    """
    for name, value, most in (("containers", containers, MAX_CONTAINERS), ("days", days, MAX_DAYS)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
            raise ValidationError(name, value, f"must be a whole number from 0 to {most}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValidationError("seed", seed, "must be a whole number")
    if now is None:
        now = datetime.now(UTC)
    elif not isinstance(now, datetime) or now.tzinfo is None:
        raise ValidationError("now", now, "must be a date and time with a zone")
    now = now.astimezone(UTC)
    end = int(now.timestamp()) // SAMPLE_EVERY * SAMPLE_EVERY
    report = progress or (lambda stage, done, total: None)

    with store.transaction() as conn:
        if not force:
            found = _resources_present(store)
            if found:
                raise StoreNotEmpty(store.location.display, found)
        counts = _write_resources(
            store, random.Random(f"{seed}:resources"), containers, now, report
        )
        history = dict.fromkeys(
            ("system", "network", "events", "chains", "periods", "hours", "days"), 0
        )
        if days:
            node_events = select(func.count()).where(EVENTS.c.node_id == store.node_id)
            events_before = conn.scalar(node_events) or 0
            history.update(_write_history(store, conn, seed, days, end, report))
            history["events"] = (conn.scalar(node_events) or 0) - events_before
        over = tuple(
            s.id
            for s in store.services.list(status="limit_exceeded")
            if s.id in {sv.id for sv in SERVICES}
        )
    return DemoSummary(
        seed=seed,
        days=days,
        containers=containers,
        profiles=len(PROFILES),
        images=len(IMAGES),
        certificates=counts["certificates"],
        services=len(SERVICES),
        claim_sets=len(CLAIM_SETS),
        bindings=sum(len(ids) for _, ids in CLAIM_SETS),
        replaced=counts["replaced"],
        system_samples=history["system"],
        network_samples=history["network"],
        log_events=history["events"],
        traffic_chains=history["chains"],
        traffic_periods=history["periods"],
        hourly_aggregates=history["hours"],
        daily_aggregates=history["days"],
        limit_exceeded=over,
    )


def _resources_present(store: Store) -> dict[str, list[str]]:
    found = {
        "containers": store.containers.names(),
        "profiles": store.profiles.names(),
        "images": [next(iter(i.aliases), i.fingerprint[:12]) for i in store.images.list()],
        "certificates": [c.name for c in store.certificates.list()],
        "services": store.services.ids(),
    }
    return {kind: names for kind, names in found.items() if names}


def image_fingerprint(image: _Image) -> str:
    """A stable, realistic-looking sha256 for a demo image (no file behind it)."""
    return _sha("nodekeeper demo image", image.os, image.version, image.arch).hex()


def _write_resources(
    store: Store, rng: random.Random, containers: int, now: datetime, report: Progress
) -> dict[str, int]:
    replaced = 0

    def count(outcome: str) -> None:
        nonlocal replaced
        replaced += outcome != "created"

    for profile in PROFILES:
        count(store.profiles.save(profile))

    fingerprints: dict[str, _Image] = {}
    by_alias: dict[str, str] = {}
    for image in IMAGES:
        fp = image_fingerprint(image)
        fingerprints[fp] = image
        uploaded = _minute(now - timedelta(days=image.age_days, minutes=rng.randint(0, 1439)))
        serial = (uploaded - timedelta(hours=6)).strftime("%Y%m%d_%H:%M")
        for alias in image.aliases:
            by_alias[alias] = fp
            try:  # force: the demo's alias moves to the demo's image
                if store.images.get(alias).fingerprint != fp:
                    store.images.remove_alias(alias)
            except NotFound:
                pass
        last_use = _minute(now - timedelta(hours=rng.randint(1, 72)))
        count(
            store.images.save(
                ImageInfo(
                    fingerprint=fp,
                    filename=f"{image.os}-{image.version}-{DEBIAN_ARCH[image.arch]}-lxd.tar.xz",
                    size=image.size,
                    architecture=image.arch,
                    public=image.public,
                    cached=image.cached,
                    creation_date=uploaded - timedelta(hours=6),
                    expiry_date=last_use + timedelta(days=10) if image.cached else None,
                    upload_date=uploaded,
                    last_use_date=last_use,
                    properties={
                        "architecture": DEBIAN_ARCH[image.arch],
                        "description": f"{image.title} {DEBIAN_ARCH[image.arch]} ({serial})",
                        "os": image.os,
                        "release": image.release,
                        "serial": serial,
                        "variant": "default",
                        "version": image.version,
                    },
                    aliases={a: image.title if i == 0 else "" for i, a in enumerate(image.aliases)},
                )
            )
        )

    certificates = 0
    for name, ctype in CERTIFICATES:
        pem = _certificate(name, now)
        count(store.certificates.save(CertificateInfo("", name, ctype, pem)))
        certificates += 1

    for key, value in SERVER_CONFIG.items():
        store.config.set(key, value)

    for info in SERVICES:
        days_ago, *_ = SERVICE_TRAFFIC[info.id]
        started = _minute(now - timedelta(days=days_ago, minutes=rng.randint(0, 1439)))
        running = info.state == "running"
        pid = rng.randint(900, 65000) if running else None
        # force: the status belongs to traffic accounting (limit_exceeded) and stays
        outcome = store.services.save(
            replace(info, start_at=started, main_pid=pid), keep=("status",)
        )
        count(outcome)
    for claims, service_ids in CLAIM_SETS:
        for sid in service_ids:
            folder = f"/var/aos/storage/{_sha('storage', *claims, sid).hex()[:12]}"
            checksum = _sha("state", *claims, sid)
            if store.users.has_service(claims, sid):
                store.users.set_storage_folder(claims, sid, folder)
                store.users.set_state_checksum(claims, sid, checksum)
                replaced += 1
            else:
                store.users.bind(claims, sid, storage_folder=folder, state_checksum=checksum)

    made = _containers(rng, containers, by_alias, fingerprints)
    done = 0
    report("containers", done, containers)
    while batch := list(islice(made, CONTAINER_BATCH)):
        for outcome in store.containers.save_many(batch):
            count(outcome)
        done += len(batch)
        report("containers", done, containers)
    return {"certificates": certificates, "replaced": replaced}


def _containers(
    rng: random.Random, total: int, by_alias: dict[str, str], images: dict[str, _Image]
) -> Iterator[ContainerInfo]:
    # One of each role first, so that even a small demo has every kind of container.
    weights = [r.weight for r in ROLES]
    roles = list(ROLES[:total]) + rng.choices(ROLES, weights, k=max(0, total - len(ROLES)))
    counts = {r.name: 0 for r in ROLES}
    for role in roles:
        counts[role.name] += 1
    width = max(2, len(str(max(counts.values(), default=0))))
    numbers = dict.fromkeys(counts, 0)
    for role in roles:
        numbers[role.name] += 1
        name = f"{role.name}-{numbers[role.name]:0{width}d}"
        alias = rng.choice(role.images)
        fp = by_alias[alias]
        image = images[fp]
        environment = rng.choices(("prod", "staging", "dev"), (6, 3, 1))[0]
        if role.name == "dev":
            environment = "dev"
        config = {
            "image.os": image.os,
            "image.release": image.release,
            "image.description": f"{image.title} {DEBIAN_ARCH[image.arch]}",
            "volatile.base_image": fp,
            "volatile.eth0.hwaddr": "00:16:3e:"
            + ":".join(f"{rng.randrange(256):02x}" for _ in range(3)),
            "user.owner": rng.choice(TEAMS),
            "user.environment": environment,
        }
        if rng.random() < 0.25:
            config["limits.cpu"] = rng.choice(("1", "2", "4", "8"))
            config["limits.memory"] = rng.choice(("512MiB", "1GiB", "4GiB", "16GiB"))
        if role.name == "db":
            config["snapshots.schedule"] = "@daily"
            config["snapshots.expiry"] = "2w"
        devices: dict[str, dict[str, str]] = {}
        if role.name in ("ci-runner", "monitor"):  # replaces the profile's eth0: on br0
            devices["eth0"] = {"type": "nic", "nictype": "bridged", "parent": "br0", "name": "eth0"}
        elif role.name in ("web", "api") and rng.random() < 0.3:  # a fixed address on lxdbr0
            devices["eth0"] = {
                "type": "nic",
                "network": "lxdbr0",
                "name": "eth0",
                "ipv4.address": f"10.42.{rng.randint(0, 3)}.{rng.randint(10, 250)}",
            }
        if role.name == "backup":
            devices["eth1"] = {"type": "nic", "network": "br-storage", "name": "eth1"}
            devices["backups"] = {
                "type": "disk",
                "source": f"/srv/backups/{name}",
                "path": "/backups",
            }
        if role.name == "db" and rng.random() < 0.5:
            devices["data"] = {
                "type": "disk",
                "pool": "fast",
                "source": f"{name}-data",
                "path": "/var/lib/postgresql",
            }
        running = rng.random() < role.running
        yield ContainerInfo(
            name=name,
            architecture=image.arch,
            power_state="running" if running else "stopped",
            ephemeral=role.name == "ci-runner" and rng.random() < 0.3,
            profiles=list(rng.choice(role.profiles)),
            config=config,
            devices=devices,
        )


def _certificate(name: str, now: datetime) -> str:
    """A self-signed Ed25519 certificate: deterministic (Ed25519 signatures are)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    key = Ed25519PrivateKey.from_private_bytes(_sha("nodekeeper demo key", name))
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nodekeeper demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    since = (now - timedelta(days=90)).replace(hour=0, minute=0, second=0, microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(_sha("serial", name)[:16], "big") >> 1 or 1)
        .not_valid_before(since)
        .not_valid_after(since + timedelta(days=3650))
        .sign(key, None)
    )
    return cert.public_bytes(Encoding.PEM).decode()


# ---------------------------------------------------------------------------------------------
# history: metrics, events, traffic, aggregates


def _diurnal(ts: int) -> float:
    """0 at night, 1 at the 14:00 UTC peak; quieter at weekends."""
    day_fraction = (ts % DAY) / DAY
    level = 0.5 + 0.5 * math.cos(2 * math.pi * (day_fraction - 14 / 24))
    weekday = (ts // DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    return level * (0.55 if weekday >= 5 else 1.0)


def _span(conn, node_id: int, table, column: str = "timestamp") -> tuple[int, int] | None:
    """The time span of node ``node_id``'s rows of ``table``, widened by a sample."""
    low, high = conn.execute(
        select(func.min(table.c[column]), func.max(table.c[column])).where(
            table.c.node_id == node_id
        )
    ).one()
    return None if low is None else (int(low) - SAMPLE_EVERY, int(high) + SAMPLE_EVERY)


def _outside(span: tuple[int, int] | None, ts: int) -> bool:
    return span is None or not span[0] < ts < span[1]


def _write_history(
    store: Store, conn, seed: int, days: int, end: int, report: Progress
) -> dict[str, int]:
    first = end - (days * DAY // SAMPLE_EVERY - 1) * SAMPLE_EVERY
    node_id = store.node_id  # the demo fills the store's node; other nodes' rows stay as they are
    spans = {
        "system": _span(conn, node_id, SYSTEM),
        "network": _span(conn, node_id, NETWORK),
        "events": _span(conn, node_id, EVENTS),
    }
    mark = conn.scalar(
        select(META.c.value).where(META.c.node_id == node_id, META.c.key == WATERMARK)
    )
    snapshots: list[tuple[int, dict[str, int]]] = []
    written = {"system": 0, "network": 0}
    metrics = _Metrics(random.Random(f"{seed}:metrics"), first)
    report("history", 0, days)
    for day, (system, network) in enumerate(metrics.days(first, end, snapshots), 1):
        system = [s for s in system if _outside(spans["system"], s.timestamp)]
        network = [n for n in network if _outside(spans["network"], n.timestamp)]
        store.telemetry.insert_samples(system, network)
        written["system"] += len(system)
        written["network"] += len(network)
        report("history", day, days)

    events = _events(random.Random(f"{seed}:events"), first, end)
    events = [e for e in events if _outside(spans["events"], e["timestamp"])]
    if events:
        conn.execute(insert(LogEvent.__table__), [{**e, "node_id": node_id} for e in events])

    chains, periods = _write_traffic(
        store, random.Random(f"{seed}:traffic"), metrics.boot_time, snapshots, report
    )
    # IP reputation and trace patterns are derived from the events, as after a log import.
    store.threats.update()

    report("aggregates", 0, 1)
    if mark is not None and int(mark) > first:  # force: hours before the watermark changed too
        hours = range(first - first % 3600, int(mark), 3600)
        touched = {h for h in hours if store.telemetry.recompute_hour(h)}
        for day in sorted({datetime.fromtimestamp(h, UTC).strftime("%Y-%m-%d") for h in touched}):
            store.telemetry.recompute_day(day)
    store.telemetry.update_aggregates(end)
    hourly = conn.scalar(
        select(func.count())
        .select_from(HOURLY)
        .where(HOURLY.c.node_id == node_id, HOURLY.c.hour_timestamp >= first - first % 3600)
    )
    daily = len(store.telemetry.daily(datetime.fromtimestamp(first, UTC).strftime("%Y-%m-%d")))
    report("aggregates", 1, 1)
    return {**written, "chains": chains, "periods": periods, "hours": hourly or 0, "days": daily}


class _Metrics:
    """A host's minute-by-minute samples: 8 CPUs, 32 GiB, a 1 TB disk, eth0 and lxdbr0."""

    CPUS = 8
    MEMORY = 32 * GiB
    DISK = 1_000_204_886_016
    INTERFACES = ("eth0", "lxdbr0")
    # interface -> mean bytes per minute at the daily peak: (sent, received)
    PEAK = {"eth0": (48 * MiB, 19 * MiB), "lxdbr0": (11 * MiB, 13 * MiB)}

    def __init__(self, rng: random.Random, first: int):
        self.rng = rng
        self.first = first
        uptime = rng.randint(3, 40) * DAY + rng.randint(0, DAY)
        self.boot_time = first - uptime
        # Counters since boot, as if the node had been this busy all along.
        self.counters = {
            f"{iface}:{d}": int(uptime / 60 * peak * 0.45)
            for iface, (sent, recv) in self.PEAK.items()
            for d, peak in (("out", sent), ("in", recv))
        }
        self.disk_used = int(self.DISK * rng.uniform(0.38, 0.45))
        self.load = [1.0, 1.0, 1.0]

    def days(
        self, first: int, end: int, snapshots: list[tuple[int, dict[str, int]]]
    ) -> Iterator[tuple[list[SystemSample], list[NetworkSample]]]:
        """Samples one day at a time (memory stays flat); fills ``snapshots`` with the raw
        interface counters at every traffic reading."""
        rng, gauss, rand = self.rng, self.rng.gauss, self.rng.random
        decay = [math.exp(-SAMPLE_EVERY / s) for s in (60, 300, 900)]
        counters = self.counters
        drift_phase = rng.uniform(0, 2 * math.pi)
        for day_start in range(first, end + 1, DAY):
            system: list[SystemSample] = []
            network: list[NetworkSample] = []
            for ts in range(day_start, min(day_start + DAY, end + 1), SAMPLE_EVERY):
                busy = _diurnal(ts)
                tod = ts % DAY
                backup = 7200 <= tod < 9000  # 02:00-02:30 UTC: the nightly backup
                cpu = 6 + 48 * busy + gauss(0, 3.5) + (22 if backup else 0)
                if rand() < 0.002:
                    cpu += rng.uniform(20, 45)  # a build, a cron job
                cpu = round(min(max(cpu, 0.5), 100.0), 1)
                mem = 41 + 19 * busy + 4 * math.sin(ts / (5 * DAY) + drift_phase) + gauss(0, 0.8)
                mem = round(min(max(mem, 5.0), 99.0), 1)
                read = int(max(0.0, (4 + 26 * busy) * MiB * (1 + gauss(0, 0.3))))
                write = int(max(0.0, (6 + 18 * busy) * MiB * (1 + gauss(0, 0.3))))
                if backup:
                    read += int(380 * MiB * (1 + gauss(0, 0.1)))
                self.disk_used += int(write * 0.02)
                running = cpu / 100 * self.CPUS * 1.15
                self.load = [
                    lv * d + running * (1 - d) for lv, d in zip(self.load, decay, strict=True)
                ]
                system.append(
                    SystemSample(
                        ts,
                        cpu,
                        self.CPUS,
                        self.MEMORY,
                        int(self.MEMORY * (1 - mem / 100)),
                        mem,
                        self.DISK,
                        self.disk_used,
                        round(self.disk_used / self.DISK * 100, 2),
                        read,
                        write,
                        *(round(v + abs(gauss(0, 0.05)), 2) for v in self.load),
                    )
                )
                total = [0] * 8
                for iface in self.INTERFACES:
                    peak_sent, peak_recv = self.PEAK[iface]
                    level = 0.15 + 0.85 * busy
                    sent = int(peak_sent * level * max(0.05, 1 + gauss(0, 0.18)))
                    recv = int(peak_recv * level * max(0.05, 1 + gauss(0, 0.18)))
                    if backup and iface == "eth0":
                        sent += int(9 * GiB / 30 * (1 + gauss(0, 0.05)))
                    errors = rng.randint(1, 3) if rand() < 0.001 else 0
                    drops = rng.randint(1, 40) if rand() < 0.01 else 0
                    row = (sent, recv, sent // 1180 + 1, recv // 720 + 1, errors, 0, drops, 0)
                    network.append(NetworkSample(ts, iface, *row))
                    total = [a + b for a, b in zip(total, row, strict=True)]
                    counters[f"{iface}:out"] += sent
                    counters[f"{iface}:in"] += recv
                established = int(max(3, 40 + 420 * busy + gauss(0, 18)))
                network.append(
                    NetworkSample(
                        ts,
                        "",
                        *total,
                        established,
                        23 + (rand() < 0.1),
                        int(max(0, established * 0.35 + gauss(0, 6))),
                    )
                )
                if ts % READING_EVERY == 0 or ts in (first, end):
                    snapshots.append((ts, dict(counters)))
            yield system, network


def _events(rng: random.Random, first: int, end: int) -> list[dict]:
    """Log events as the log parser reads them: sshd failures (invalid users among them),
    fail2ban finding, banning and unbanning the noisy addresses, UFW blocks (one /24 sweeping
    the host), admin logins, warnings and errors, a unit failing again and again at the end.
    Levels and actions as the log parser gives them for such lines (core.collect.logs.parse)."""
    events: list[dict] = []

    def add(ts: int, source: str, program: str, level: str, message: str, **extra) -> bool:
        if not first <= ts <= end:
            return False
        metadata = extra.pop("metadata", None)
        events.append({
            "timestamp": ts, "source": source, "program": program, "host": "edge-01",
            "level": level, "message": message, "ip_address": None, "user": None,
            "service": None, "action": None, "ingested": ts,
            "metadata": None if metadata is None else json.dumps(metadata, separators=(",", ":")),
            **extra,
        })  # fmt: skip
        return True

    def sshd(ts: int, level: str, message: str, **extra) -> bool:
        return add(ts, "auth.log", "sshd", level, message, **extra)

    def fail2ban(ts: int, level: str, verb: str, ip: str, action: str) -> bool:
        return add(ts, "fail2ban.log",
            "fail2ban.filter" if action == "found" else "fail2ban.actions", level, f"[sshd] {verb} {ip}",
                   ip_address=ip, action=action, metadata={"jail": "sshd"})  # fmt: skip

    def ufw(ts: int, ip: str) -> None:
        port, proto = rng.choice(((23, "TCP"), (445, "TCP"), (3389, "TCP"), (5060, "UDP")))
        add(
            ts, "kern.log", "kernel", "warning",
            f"[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC={ip} DST={HOST_IP} LEN=44 "
            f"TTL=241 PROTO={proto} SPT={rng.randint(1024, 65535)} DPT={port}",
            ip_address=ip, action="firewall_block", metadata={"proto": proto, "dpt": port},
        )  # fmt: skip

    for day_start in range(first - first % DAY, end + 1, DAY):
        # Brute force: a few addresses a day, bursts of attempts; fail2ban bans the noisy ones.
        for ip in rng.sample(ATTACKERS, rng.randint(2, 5)):
            ts = day_start + rng.randrange(DAY)
            attempts = rng.randint(3, 40)
            for _ in range(attempts):
                ts += rng.randint(2, 20)
                user = rng.choice(TRIED_USERS)
                port = rng.randint(32768, 60999)
                meta = {"port": port, "method": "password"}
                if user != "root":
                    sshd(ts, "warning", f"Invalid user {user} from {ip} port {port}",
                         ip_address=ip, user=user, action="invalid_user", metadata={"port": port})  # fmt: skip
                who = user if user == "root" else f"invalid user {user}"
                sshd(ts, "warning", f"Failed password for {who} from {ip} port {port} ssh2",
                     ip_address=ip, user=user, action="login_failed", metadata=meta)  # fmt: skip
                fail2ban(ts, "info", "Found", ip, "found")
            if attempts >= 10:
                fail2ban(ts + 1, "notice", "Ban", ip, "ban")
                fail2ban(ts + 601, "notice", "Unban", ip, "unban")
        # The firewall: scans of closed ports from anywhere, and a sweep from one /24.
        for _ in range(rng.randint(10, 30)):
            ufw(day_start + rng.randrange(DAY), rng.choice(ATTACKERS))
        sweep = day_start + rng.randrange(DAY - 3600)
        for ip in rng.sample(SCANNERS, rng.randint(3, len(SCANNERS))):
            ufw(sweep + rng.randrange(3000), ip)
        for user, ip in ADMINS:
            if rng.random() < 0.7:
                ts = day_start + rng.randint(7 * 3600, 19 * 3600)
                key = _sha("key", user).hex()[:43]
                port = rng.randint(40000, 60999)
                sshd(ts, "info",
                     f"Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:{key}",
                     ip_address=ip, user=user, action="login_accepted",
                     metadata={"port": port, "method": "publickey"})  # fmt: skip
        for _ in range(rng.randint(1, 4)):
            ts = day_start + rng.randrange(DAY)
            add(
                ts, "error.log", "nginx", "error",
                "upstream timed out (110: Connection timed out) while "
                'reading response header from upstream, upstream: "http://10.42.0.31:8080/api"',
                service="nginx",
            )  # fmt: skip
        for _ in range(rng.randint(2, 6)):
            ts = day_start + rng.randrange(DAY)
            message, source, program = rng.choice(
                (
                    (
                        "EXT4-fs (sda2): warning: mounting fs with errors, running e2fsck is recommended",
                        "kern.log", "kernel",
                    ),
                    ("nf_conntrack: table full, dropping packet", "kern.log", "kernel"),
                    ("CPU3: Core temperature above threshold, cpu clock throttled", "kern.log", "kernel"),
                    ("Time has been changed", "syslog", "systemd"),
                    ("mosquitto.service: Watchdog timeout (limit 30s)!", "syslog", "systemd"),
                )
            )  # fmt: skip
            add(ts, source, program, "warning", message)
        ts = day_start + 7200 + rng.randint(0, 120)
        add(ts, "syslog", "systemd", "info", "Started aos_backup.service - nightly backup.",
            service="backup")  # fmt: skip
    # The OTA updater broke an hour before the end, and systemd restarts it in vain.
    unit = "aos_ota-updater.service"
    for restart in range(4):
        ts = end - 3600 + restart * 300
        add(ts, "syslog", "systemd", "error",
            f"{unit}: Main process exited, code=exited, status=1/FAILURE",
            service="ota-updater", metadata={"unit": unit})  # fmt: skip
        add(ts, "syslog", "systemd", "error", f"{unit}: Failed with result 'exit-code'.",
            service="ota-updater", action="unit_failed", metadata={"unit": unit})  # fmt: skip
    events.sort(key=lambda e: e["timestamp"])
    return events


def _service_bytes(rng: random.Random, shape: str, mean: int, ts: int) -> int:
    if shape == "nightly":
        return int(mean * (1 + rng.gauss(0, 0.08))) if ts % DAY == 3 * 3600 else 0
    level = 1.0 if shape == "flat" else 0.2 + 1.6 * _diurnal(ts)
    return int(max(0.0, mean * level * (1 + rng.gauss(0, 0.2))))


def _write_traffic(
    store: Store,
    rng: random.Random,
    boot: int,
    snapshots: list[tuple[int, dict[str, int]]],
    report: Progress,
) -> tuple[int, int]:
    """Traffic accounting: a reading of every chain each hour, counted by ``store.traffic``
    one hour at a time (so limits are crossed, flagged and warned about when they are)."""
    if not snapshots:
        return 0, 0
    existing = {c.chain: c.time for c in store.traffic.chains()}
    service_raw = {
        service_chain(sid, d): rng.randint(10, 500) * MiB
        for sid in SERVICE_TRAFFIC
        for d in ("in", "out")
    }
    period = tunable(store, "traffic.period")
    over_chain = service_chain("media-sync", "in")  # made to be over its limit now
    period_value = dict.fromkeys(service_raw, 0)
    current_period = None
    periods = 0
    last = len(snapshots) - 1
    report("traffic", 0, len(snapshots))
    for index, (ts, counters) in enumerate(snapshots):
        when = datetime.fromtimestamp(ts, UTC)
        this_period = period_start(when, period)
        if this_period != current_period:
            period_value = dict.fromkeys(service_raw, 0)
        current_period = this_period
        if index:  # the first reading is every chain's baseline
            elapsed_hours = (ts - snapshots[index - 1][0]) / 3600
            for sid, (_, mean_in, mean_out, shape) in SERVICE_TRAFFIC.items():
                for direction, mean in (("in", mean_in), ("out", mean_out)):
                    chain = service_chain(sid, direction)
                    delta = int(_service_bytes(rng, shape, mean, ts) * elapsed_hours)
                    if chain == over_chain and index == last:
                        over = MEDIA_SYNC_DL_LIMIT - period_value[chain]
                        delta = max(delta, over + int(MEDIA_SYNC_DL_LIMIT * rng.uniform(0.02, 0.1)))
                    service_raw[chain] += delta
                    period_value[chain] += delta
        readings = [
            Reading(chain, raw, boot, when)
            for chain, raw in sorted({**counters, **service_raw}.items())
            if chain not in existing or existing[chain] is None or existing[chain] < when
        ]
        for recorded in store.traffic.record(readings):
            periods += recorded.finished is not None
        if index % 24 == 0 or index == last:
            report("traffic", index + 1, len(snapshots))
    return len(snapshots[0][1]) + len(service_raw), periods


__all__ = ["DemoSummary", "StoreNotEmpty", "fill", "image_fingerprint"]
