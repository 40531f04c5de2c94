"""Pictures prepared for chat with Pillow, and the numbered grid of image_grid tasks.

CPU work without I/O: callers run these in worker threads (`asyncio.to_thread`).

`prepare_image` takes the bytes of any picture Pillow reads and returns a JPEG that Telegram and
Slack show as it is:

- the size is read from the header first: a picture over `MAX_PIXELS` is refused before it is
  decoded (a decompression bomb: a small file that would fill the memory), as is anything
  Pillow itself calls a bomb;
- the EXIF orientation is applied (a phone's portrait photo stands upright), then the longest
  side is cut to `max_side` pixels; transparency goes onto white;
- it is saved anew without any metadata (EXIF, GPS position, XMP, colour profile, comments);
- Telegram's photo limits hold: at most 10 MB, width + height at most 10000, sides at most 20:1.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from tasks.image_grid import cell_box

MAX_PIXELS = 50_000_000
MAX_RATIO = 20
MAX_BYTES = 10 * 1024 * 1024
QUALITY = 85


class MediaError(ValueError):
    """A media file that cannot be used, with a message fit to show a person."""


@dataclass(frozen=True, slots=True)
class PreparedImage:
    data: bytes
    width: int
    height: int
    ext: str = "jpg"
    mime: str = "image/jpeg"


def prepare_image(raw: bytes, max_side: int = 1280) -> PreparedImage:
    """The picture as a clean JPEG (see the module's docstring), or MediaError."""
    try:
        with Image.open(io.BytesIO(raw)) as opened:
            width, height = opened.size
            if width * height > MAX_PIXELS:
                raise MediaError(
                    f"refused as a decompression bomb: {width}×{height} is "
                    f"{width * height / 1e6:.0f} megapixels (at most {MAX_PIXELS / 1e6:.0f})"
                )
            scale = max_side / max(width, height)
            if scale < 1:  # a JPEG decodes at 1/2, 1/4 or 1/8 of its size, still over the cap
                opened.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
            opened.load()
            image = ImageOps.exif_transpose(opened)
            image = _flatten(image)
    except Image.DecompressionBombError as exc:
        raise MediaError(f"refused as a decompression bomb ({exc})") from None
    except UnidentifiedImageError:
        raise MediaError("not a picture (Pillow cannot read it)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, MediaError):
            raise
        raise MediaError(f"a broken picture ({exc})") from None
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    width, height = image.size
    if max(width, height) > MAX_RATIO * min(width, height):
        raise MediaError(
            f"the picture is {width}×{height}; chat apps show pictures up to {MAX_RATIO}:1"
        )
    data = _jpeg(image)
    if len(data) > MAX_BYTES:
        raise MediaError(f"the picture is still {len(data) >> 20} MB after resizing")
    return PreparedImage(data, width, height)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # Saving a new RGB image without exif=, icc_profile= or comment= writes no metadata.
    image.save(out, "JPEG", quality=QUALITY, optimize=False, progressive=False)
    return out.getvalue()


def draw_grid(jpeg: bytes, rows: int, cols: int) -> bytes:
    """The picture with a `rows` × `cols` grid over it and each cell's number (from 1, row by
    row) in its top-left corner, as image_grid cards show it (see `tasks.image_grid`)."""
    with Image.open(io.BytesIO(jpeg)) as opened:
        image = opened.convert("RGB")
    width, height = image.size
    draw = ImageDraw.Draw(image)
    line = max(1, min(width, height) // 300)
    size = max(10, min(width // cols, height // rows) // 4)
    font = ImageFont.load_default(size=size)
    for cell in range(1, rows * cols + 1):
        x0, y0, x1, y1 = cell_box(cell, rows, cols, width, height)
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=(0, 0, 0), width=line + 2)
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=(255, 255, 255), width=line)
        label = str(cell)
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        pad = max(2, size // 5)
        box = (
            x0 + line,
            y0 + line,
            x0 + line + right - left + 2 * pad,
            y0 + line + bottom - top + 2 * pad,
        )
        draw.rectangle(box, fill=(0, 0, 0))
        draw.text((box[0] + pad - left, box[1] + pad - top), label, fill=(255, 255, 0), font=font)
    return _jpeg(image)
