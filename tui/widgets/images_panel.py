"""The images section."""

from __future__ import annotations

from collections.abc import Iterable

from core import ImageInfo

from .format import human_size, joined, short_id, utc_minutes, yes_no
from .resource_panel import ResourcePanel, Row


def image_rows(images: Iterable[ImageInfo]) -> list[Row]:
    return [
        (
            i.fingerprint,
            (
                short_id(i.fingerprint),
                joined(i.aliases),
                i.architecture,
                human_size(i.size),
                yes_no(i.public),
                utc_minutes(i.upload_date),
            ),
        )
        for i in images
    ]


class ImagesPanel(ResourcePanel):
    COLUMNS = (
        ("fingerprint", "Fingerprint"),
        ("aliases", "Aliases"),
        ("architecture", "Architecture"),
        ("size", "Size"),
        ("public", "Public"),
        ("uploaded", "Uploaded (UTC)"),
    )
    RIGHT_ALIGNED = frozenset({"size"})
    EMPTY_HINT = (
        "No images. Import some with `nodekeeper import-lxc DIR` or `nodekeeper apply FILE`."
    )
