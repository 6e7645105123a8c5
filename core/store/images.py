"""Images (seed 003, LXD's model): metadata of image files, keyed by the sha256 of their
bytes, with properties and aliases; fingerprints and aliases are unique within a node."""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, delete, insert, select, update

from .. import validate
from ..errors import AlreadyExists, NotFound, ValidationError
from ..models.base import utcnow
from .lxd_common import ARCHITECTURES, T, architecture, check_text
from .repo import Repo, chunks


@dataclass
class ImageInfo:
    fingerprint: str
    filename: str
    size: int
    architecture: str
    public: bool = False
    cached: bool = False
    creation_date: datetime | None = None
    expiry_date: datetime | None = None
    upload_date: datetime | None = None
    last_use_date: datetime | None = None
    properties: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # alias name -> description


def _property_key(key: object) -> None:
    if not isinstance(key, str) or not key:
        raise ValidationError("properties", key, "must be a non-empty name")
    check_text(key, "properties")


def sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class ImageRepo(Repo):
    kind = "image"

    def _resolve(self, conn: Connection, ref: str) -> str:
        """An image by alias, full fingerprint or unique fingerprint prefix -> its fingerprint."""
        i, a, node = T["images"], T["images_aliases"], self._node_id
        fp = conn.scalar(
            select(i.c.fingerprint)
            .join(a, a.c.image_id == i.c.id)
            .where(a.c.node_id == node, a.c.name == ref)
        )
        if fp is not None:
            return fp
        if ref and all(ch in "0123456789abcdef" for ch in ref.lower()):
            matches = list(
                conn.scalars(
                    select(i.c.fingerprint)
                    .where(i.c.node_id == node, i.c.fingerprint.startswith(ref.lower()))
                    .limit(2)
                )
            )
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise ValidationError(
                    "image", ref, "matches several fingerprints: give more digits"
                )
        raise NotFound(self.kind, ref)

    def fingerprints(self) -> list[str]:
        i = T["images"]
        with self._store.reading() as conn:
            return list(
                conn.scalars(
                    select(i.c.fingerprint)
                    .where(i.c.node_id == self._node_id)
                    .order_by(i.c.fingerprint)
                )
            )

    def get(self, ref: str) -> ImageInfo:
        with self._store.reading() as conn:
            return self._load(conn, [self._resolve(conn, ref)])[0]

    def list(self) -> list[ImageInfo]:
        with self._store.reading() as conn:
            return self._load(conn, None)

    def _load(self, conn: Connection, fingerprints: list[str] | None) -> list[ImageInfo]:
        i, props, aliases = T["images"], T["images_properties"], T["images_aliases"]
        query = select(i).where(i.c.node_id == self._node_id).order_by(i.c.fingerprint)
        if fingerprints is not None:
            query = query.where(i.c.fingerprint.in_(fingerprints))
        rows = list(conn.execute(query))
        ids = [r.id for r in rows]
        prop_map: dict[int, dict[str, str]] = defaultdict(dict)
        alias_map: dict[int, dict[str, str]] = defaultdict(dict)
        for chunk in chunks(ids):
            for iid, key, value in conn.execute(
                select(props.c.image_id, props.c.key, props.c.value).where(
                    props.c.image_id.in_(chunk)
                )
            ):
                if value is not None:
                    prop_map[iid][key] = value
            for iid, name, desc in conn.execute(
                select(aliases.c.image_id, aliases.c.name, aliases.c.description)
                .where(aliases.c.image_id.in_(chunk))
                .order_by(aliases.c.name)
            ):
                alias_map[iid][name] = desc or ""
        return [
            ImageInfo(
                fingerprint=r.fingerprint,
                filename=r.filename,
                size=r.size,
                architecture=ARCHITECTURES.get(r.architecture, str(r.architecture)),
                public=bool(r.public),
                cached=bool(r.cached),
                creation_date=r.creation_date,
                expiry_date=r.expiry_date,
                upload_date=r.upload_date,
                last_use_date=r.last_use_date,
                properties=dict(sorted(prop_map.get(r.id, {}).items())),
                aliases=alias_map.get(r.id, {}),
            )
            for r in rows
        ]

    def add_file(
        self,
        path: str | os.PathLike[str],
        *,
        architecture: str = "x86_64",
        public: bool = False,
        properties: Mapping[str, object] | None = None,
        aliases: Mapping[str, str] | Iterable[str] = (),
        creation_date: datetime | None = None,
        expiry_date: datetime | None = None,
    ) -> ImageInfo:
        """Register an image file: its fingerprint is the sha256 of its bytes."""
        file = Path(path)
        try:
            fingerprint, size = sha256_file(file)
        except OSError as exc:
            raise ValidationError("file", str(path), f"cannot be read: {exc.strerror}") from None
        return self.create(
            ImageInfo(
                fingerprint=fingerprint,
                filename=file.name,
                size=size,
                architecture=architecture,
                public=public,
                creation_date=creation_date,
                expiry_date=expiry_date,
                properties=dict(properties or {}),
                aliases=dict(aliases)
                if isinstance(aliases, Mapping)
                else dict.fromkeys(aliases, ""),
            )
        )

    def create(self, info: ImageInfo) -> ImageInfo:
        info = self.validated(info)
        with self._store.transaction() as conn:
            if self._image_id(conn, info.fingerprint) is not None:
                raise AlreadyExists(self.kind, info.fingerprint)
            self._write(conn, None, info)
        return self.get(info.fingerprint)

    def save(self, info: ImageInfo) -> str:
        """Create the image or replace its metadata whole; "created", "updated" or "unchanged"."""
        info = self.validated(info)
        with self._store.transaction() as conn:
            iid = self._image_id(conn, info.fingerprint)
            if iid is None:
                self._write(conn, None, info)
                return "created"
            current = self._load(conn, [info.fingerprint])[0]
            if info.upload_date is None:
                info.upload_date = current.upload_date
            if current == info:
                return "unchanged"
            self._write(conn, iid, info)
            return "updated"

    def update(
        self,
        ref: str,
        *,
        public: bool | None = None,
        expiry_date: datetime | None = None,
        properties: Mapping[str, object] | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> ImageInfo:
        with self._store.transaction():
            info = self.get(ref)
            if public is not None:
                info.public = public
            if expiry_date is not None:
                info.expiry_date = expiry_date
            if properties is not None:
                info.properties = dict(properties)  # type: ignore[arg-type]
            if aliases is not None:
                info.aliases = dict(aliases)
            self.save(info)
            return self.get(info.fingerprint)

    def add_alias(self, name: str, ref: str, description: str = "") -> None:
        validate.device_name(name, "alias")
        a, node = T["images_aliases"], self._node_id
        with self._store.transaction() as conn:
            fp = self._resolve(conn, ref)
            if conn.scalar(select(a.c.id).where(a.c.node_id == node, a.c.name == name)) is not None:
                raise AlreadyExists("image alias", name)
            iid = self._image_id(conn, fp)
            conn.execute(
                insert(a).values(name=name, image_id=iid, description=description, node_id=node)
            )

    def remove_alias(self, name: str) -> None:
        a = T["images_aliases"]
        with self._store.transaction() as conn:
            gone = conn.execute(delete(a).where(a.c.node_id == self._node_id, a.c.name == name))
            if gone.rowcount == 0:
                raise NotFound("image alias", name)

    def used_by(self, ref: str) -> list[str]:
        return self._store.containers.using_image(self.get(ref).fingerprint)

    def delete(self, ref: str) -> None:
        i = T["images"]
        with self._store.transaction() as conn:
            fp = self._resolve(conn, ref)
            conn.execute(delete(i).where(i.c.node_id == self._node_id, i.c.fingerprint == fp))

    @staticmethod
    def validated(info: ImageInfo) -> ImageInfo:
        """An ImageInfo with every field checked, as ContainerRepo.validated does."""

        def filename() -> str:
            if not isinstance(info.filename, str) or not info.filename or "/" in info.filename:
                raise ValidationError("filename", info.filename, "must be a file name without '/'")
            check_text(info.filename, "filename")
            return info.filename

        def size() -> int:
            if not isinstance(info.size, int) or isinstance(info.size, bool) or info.size < 0:
                raise ValidationError("size", info.size, "must be a whole number of bytes >= 0")
            return info.size

        def date(name: str) -> Callable[[], datetime | None]:
            def check() -> datetime | None:
                value = getattr(info, name)
                if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
                    raise ValidationError(name, value, "must be a date and time with a zone")
                return value

            return check

        def table(name: str) -> Mapping:
            value = getattr(info, name)
            if value is not None and not isinstance(value, Mapping):
                raise ValidationError(name, value, "must be a table of name = value")
            return value or {}

        def properties() -> dict[str, str]:
            props = {}
            for key, value in table("properties").items():
                _property_key(key)
                props[key] = validate.config_value(value, f"properties.{key}")
            return dict(sorted(props.items()))

        def aliases() -> dict[str, str]:
            out = {}
            for alias, desc in table("aliases").items():
                validate.device_name(alias, "aliases")
                if desc is not None:
                    check_text(desc, f"aliases.{alias}", empty_ok=True)
                out[alias] = "" if desc is None else str(desc)
            return dict(sorted(out.items()))

        dates = ("creation_date", "expiry_date", "upload_date", "last_use_date")
        return ImageInfo(
            **validate.each_field({
                "fingerprint": lambda: validate.fingerprint(info.fingerprint),
                "filename": filename,
                "size": size,
                "architecture": lambda: ARCHITECTURES[architecture(info.architecture)],
                "public": lambda: validate.boolean(info.public, "public"),
                "cached": lambda: validate.boolean(info.cached, "cached"),
                **{name: date(name) for name in dates},
                "properties": properties,
                "aliases": aliases,
            })
        )  # fmt: skip

    def _image_id(self, conn: Connection, fingerprint: str) -> int | None:
        """The id of this node's image ``fingerprint``, None when it has none."""
        i = T["images"]
        return conn.scalar(
            select(i.c.id).where(i.c.node_id == self._node_id, i.c.fingerprint == fingerprint)
        )

    def _write(self, conn: Connection, iid: int | None, info: ImageInfo) -> None:
        i, props, a = T["images"], T["images_properties"], T["images_aliases"]
        node = self._node_id
        row = {
            "node_id": node,
            "fingerprint": info.fingerprint,
            "filename": info.filename,
            "size": info.size,
            "architecture": architecture(info.architecture),
            "public": int(info.public),
            "cached": int(info.cached),
            "creation_date": info.creation_date,
            "expiry_date": info.expiry_date,
            "upload_date": info.upload_date or utcnow(),
            "last_use_date": info.last_use_date,
        }
        if iid is None:
            iid = conn.execute(insert(i).values(row)).inserted_primary_key[0]
        else:
            conn.execute(update(i).where(i.c.id == iid).values(row))
            conn.execute(delete(props).where(props.c.image_id == iid))
            conn.execute(delete(a).where(a.c.image_id == iid))
        if info.properties:
            conn.execute(
                insert(props),
                [{"image_id": iid, "key": k, "value": v} for k, v in info.properties.items()],
            )
        for alias, desc in info.aliases.items():
            owner = conn.scalar(select(a.c.image_id).where(a.c.node_id == node, a.c.name == alias))
            if owner is not None:
                raise AlreadyExists("image alias", alias)
            conn.execute(insert(a).values(name=alias, image_id=iid, description=desc, node_id=node))
