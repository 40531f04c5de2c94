"""The port through which the core downloads the media a batch names by URL.

The core says what to fetch and within which caps; an adapter does the network part and keeps
the rules of what may be fetched at all (`adapters.fetch`: https only, no address inside the
machine's own networks, redirects checked hop by hop). The core never imports an HTTP client.
"""

from __future__ import annotations

from typing import Protocol


class MediaFetcher(Protocol):
    async def fetch(self, url: str, *, max_bytes: int, seconds: float) -> bytes:
        """The body of `url`: at most `max_bytes`, within `seconds` in all (every redirect
        included). Raises `bot.media.images.MediaError` with a reason a person can read (a
        refused address, an HTTP status, too big, too slow) for anything else."""
        ...
