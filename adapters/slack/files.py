"""Files people share with the bot in its DM (project files, batches, guidelines).

Slack sends a ``message`` event with subtype ``file_share`` that lists the files; their bytes are
behind ``url_private_download``, which takes the bot token (scope ``files:read``). Without the
scope Slack answers with its HTML sign-in page rather than an error status: that is refused here
rather than handed to the core as the file.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

MAX_DOWNLOAD = 20 * 1024 * 1024  # as on Telegram
TIMEOUT_SECONDS = 30

Body = dict[str, Any]


class FileTooBig(Exception):
    """The file is over `MAX_DOWNLOAD`."""


class NotDownloadable(Exception):
    """Slack did not give the file's bytes (no URL, a sign-in page, an error status)."""


def shared_files(event: Body) -> list[Body]:
    """The files a person (not a bot) shared in a direct message with the bot."""
    if (
        event.get("channel_type") != "im"
        or event.get("subtype") != "file_share"
        or event.get("bot_id")
        or not event.get("user")
    ):
        return []
    return [f for f in event.get("files") or [] if isinstance(f, dict)]


async def download(client: AsyncWebClient, file: Body) -> bytes:
    """The file's bytes, fetched with the client's bot token (and its connection pool)."""
    url = file.get("url_private_download") or file.get("url_private")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise NotDownloadable(f"{file.get('id')}: no download URL")
    size = file.get("size")
    if isinstance(size, int) and size > MAX_DOWNLOAD:
        raise FileTooBig(str(file.get("name") or "file"))
    headers = {"Authorization": f"Bearer {client.token}"}
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    own = client.session is None
    session = aiohttp.ClientSession() if own else client.session
    assert session is not None
    try:
        async with session.get(url, headers=headers, timeout=timeout) as response:
            if response.status != 200:
                raise NotDownloadable(f"{file.get('id')}: HTTP {response.status}")
            mimetype = str(file.get("mimetype") or "")
            if response.content_type == "text/html" and mimetype != "text/html":
                raise NotDownloadable(f"{file.get('id')}: a sign-in page (scope files:read?)")
            content = bytearray()
            async for chunk in response.content.iter_chunked(64 * 1024):
                content += chunk
                if len(content) > MAX_DOWNLOAD:
                    raise FileTooBig(str(file.get("name") or "file"))
    finally:
        if own:
            await session.close()
    return bytes(content)
