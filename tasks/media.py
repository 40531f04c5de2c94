"""Media on items, as item data names it. Pure: the files themselves are `bot.media.store`'s.

A batch row names at most one picture, sound or video in its data: ``"image"``, ``"audio"`` or
``"video"``, whose value is a path inside the uploaded ZIP, a local path (the command line only)
or an https URL. At import the file is checked, prepared and stored by its content hash, and the
row's data gains a ``"media"`` object describing the stored file::

    {"kind": "image", "sha": "<sha256>", "ext": "jpg", "mime": "image/jpeg", "size": 48213,
     "width": 1280, "height": 960, "source": "photos/cat.jpg"}

(`width` and `height` for images only; an image_grid item also has ``"grid": {"sha", "ext"}``,
the picture with the numbered grid drawn over it.) ``"media"`` is reserved: a batch cannot set it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MEDIA_KINDS = ("image", "audio", "video")
MEDIA_KEYS = frozenset((*MEDIA_KINDS, "media"))


@dataclass(frozen=True, slots=True)
class StoredMedia:
    """A stored file to show: what it is, its content hash and file extension."""

    kind: str
    sha: str
    ext: str
    mime: str = ""
    width: int = 0
    height: int = 0
    source: str = ""

    @property
    def file_name(self) -> str:
        """Its path under the media folder (as `bot.media.store.MediaStore.path` keeps it),
        which the exports name it by."""
        return f"{self.sha[:2]}/{self.sha}.{self.ext}" if self.ext else f"{self.sha[:2]}/{self.sha}"


def media_reference(data: dict[str, Any]) -> tuple[str, str] | None:
    """The (kind, reference) a batch row names, if any (see `media_problems` first)."""
    for kind in MEDIA_KINDS:
        ref = data.get(kind)
        if isinstance(ref, str) and ref.strip():
            return kind, ref.strip()
    return None


def media_problems(data: dict[str, Any]) -> list[str]:
    """What is wrong with a row's media fields, as ``field: message`` lines."""
    problems = []
    if "media" in data:
        problems.append(
            "data.media: reserved for the stored file (name it in image, audio or video)"
        )
    named = [k for k in MEDIA_KINDS if k in data]
    for kind in named:
        ref = data[kind]
        if not isinstance(ref, str) or not ref.strip():
            problems.append(f"data.{kind}: must be a path in the ZIP, a file path or an https URL")
    if len(named) > 1:
        problems.append(f"data: one media file per item ({', '.join(named)} given)")
    return problems


def stored_media(data: dict[str, Any], variant: str = "") -> StoredMedia | None:
    """The stored file of an imported item (or its `variant`, such as ``"grid"``)."""
    media = data.get("media")
    if not isinstance(media, dict):
        return None
    source = media.get(variant) if variant else media
    if not isinstance(source, dict) or not source.get("sha"):
        return None
    return StoredMedia(
        kind=str(media.get("kind", "")),
        sha=str(source["sha"]),
        ext=str(source.get("ext", "")),
        mime=str(source.get("mime") or media.get("mime", "")),
        width=int(media.get("width") or 0),
        height=int(media.get("height") or 0),
        source=str(media.get("source", "")),
    )
