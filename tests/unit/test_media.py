"""Pictures prepared with Pillow, sounds and videos checked, files stored by content."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from bot.media.images import MediaError, draw_grid, prepare_image
from bot.media.importing import sniff
from bot.media.store import MediaStore, media_dir
from tests.media_samples import bomb_png, broken_jpeg, jpeg, mp4, png_rgba, wav


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_exif_orientation_is_applied_and_metadata_stripped() -> None:
    raw = jpeg(400, 200, orientation=6, gps=True)
    assert opened(raw).getexif()  # the source carries EXIF (orientation and GPS)
    prepared = prepare_image(raw)
    image = opened(prepared.data)
    assert (prepared.width, prepared.height) == image.size == (200, 400)  # turned upright
    assert image.format == "JPEG" and prepared.mime == "image/jpeg"
    assert not image.getexif() and "icc_profile" not in image.info and "exif" not in image.info
    # The bright corner, top-left before the turn, is top-right once upright.
    assert image.getpixel((190, 10))[0] > 240 and image.getpixel((10, 10))[0] < 230


def test_the_longest_side_is_capped_and_transparency_goes_on_white() -> None:
    prepared = prepare_image(jpeg(3000, 1500))
    assert (prepared.width, prepared.height) == (1280, 640)
    small = prepare_image(jpeg(300, 200), max_side=1280)
    assert (small.width, small.height) == (300, 200)
    flat = opened(prepare_image(png_rgba(100, 50)).data)
    assert flat.mode == "RGB" and flat.getpixel((90, 25))[0] > 240  # transparent -> white


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (bomb_png(), "decompression bomb"),
        (broken_jpeg(), "broken picture"),
        (b"GIF89a not really", "broken picture|not a picture"),
        (b"hello", "not a picture"),
        (jpeg(2100, 100), "up to 20:1"),
    ],
)
def test_bad_pictures_are_refused_with_a_reason(raw: bytes, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        prepare_image(raw)


def test_sounds_and_videos_are_recognised_by_their_first_bytes() -> None:
    assert sniff("audio", wav()) == ("wav", "audio/wav")
    assert sniff("audio", b"ID3\x04" + b"\x00" * 100) == ("mp3", "audio/mpeg")
    assert sniff("video", mp4()) == ("mp4", "video/mp4")
    with pytest.raises(MediaError, match="broken WAV"):
        sniff("audio", wav()[:30])
    with pytest.raises(MediaError, match="not a video file"):
        sniff("video", wav())
    with pytest.raises(MediaError, match="empty"):
        sniff("audio", b"")


async def test_files_are_stored_once_by_content(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    data = prepare_image(jpeg(100, 100)).data
    sha = await store.put(data, "jpg")
    assert sha == hashlib.sha256(data).hexdigest()
    assert await store.put(data, "jpg") == sha
    path = store.path(sha, "jpg")
    assert path == tmp_path / "media" / sha[:2] / f"{sha}.jpg" and path.read_bytes() == data
    assert len(list((tmp_path / "media").rglob("*.jpg"))) == 1
    with pytest.raises(ValueError):
        store.path("../../etc/passwd", "")


def test_the_media_folder_defaults_beside_the_database() -> None:
    assert media_dir("/srv/m", "sqlite:///x.db") == Path("/srv/m")
    assert media_dir(None, "sqlite:////data/tapmark.db") == Path("/data/media")
    assert media_dir(None, "postgresql://h/db") == Path("media")


def test_the_grid_is_drawn_over_the_picture() -> None:
    prepared = prepare_image(jpeg(400, 300, color=(0, 120, 0)))
    grid = opened(draw_grid(prepared.data, 3, 4))
    assert grid.size == (400, 300)
    assert grid.getpixel((100, 150)) != opened(prepared.data).getpixel((100, 150))  # a line
    assert grid.getpixel((150, 150))[1] > 100  # inside a cell the picture shows through
