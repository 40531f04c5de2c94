"""Pictures, sounds and videos the tests make themselves (Pillow, the wave module, a few bytes
of MP4), and the bad ones: a broken picture, a decompression bomb."""

from __future__ import annotations

import io
import math
import struct
import wave
import zipfile
import zlib

from PIL import Image

ORIENTATION = 0x0112
GPS_INFO = 0x8825


def jpeg(
    width: int,
    height: int,
    color: tuple[int, int, int] = (200, 80, 40),
    orientation: int | None = None,
    gps: bool = False,
    seed: int = 0,
) -> bytes:
    """A JPEG with a bright square in its top-left quarter (so a rotation can be seen), and
    optionally an EXIF orientation and a GPS position."""
    image = Image.new("RGB", (width, height), color)
    image.paste((255, 255, 255), (0, 0, max(1, width // 4), max(1, height // 4)))
    image.putpixel((width - 1, height - 1), (seed % 256, seed // 256 % 256, 7))
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_INFO] = {1: "N", 2: (52.0, 31.0, 12.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes() if len(exif) else b"", quality=90)
    return out.getvalue()


def png_rgba(width: int, height: int) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 255, 0))
    image.paste((255, 0, 0, 255), (0, 0, width // 2, height))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def wav(seconds: float = 0.2, rate: int = 8000, pitch: float = 440.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        frames = int(seconds * rate)
        sound.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * pitch * i / rate)))
                for i in range(frames)
            )
        )
    return out.getvalue()


def mp4(payload: bytes = b"\x00" * 64) -> bytes:
    """The boxes an MP4 starts with (ftyp, then mdat): enough for a file type check."""
    ftyp = b"ftypisom" + b"\x00\x00\x02\x00" + b"isomiso2mp41"
    mdat = b"mdat" + payload
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(mdat) + 4) + mdat


def broken_jpeg() -> bytes:
    whole = jpeg(400, 300)
    return whole[: len(whole) // 3]


def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A PNG whose header claims a huge picture: a few hundred bytes that would need gigabytes
    of memory to decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    body = zlib.compress(row * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()
