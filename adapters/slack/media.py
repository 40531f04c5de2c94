"""Media on Slack: each stored file is uploaded once per workspace with files_upload_v2 (into
no channel), and messages show it from then on: a picture in an image block through its
`slack_file`, a sound or a video as a link to the file.

The file id and link are kept per workspace (`bot.media.store.UploadRefs`, in the database). When
Slack refuses a message because the file is gone, the reference is dropped and the file
uploaded again (`Executor` retries once).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.mrkdwn import entities
from adapters.slack.translate import split_actor
from bot.chat.actions import Media
from bot.chat.events import Actor
from bot.media.store import UploadRefs

log = logging.getLogger(__name__)

Block = dict[str, Any]
ALT_TEXT = "the item's picture"
LINKS = {"audio": "▶ Listen to the recording", "video": "▶ Watch the video"}


class MediaUploads:
    def __init__(self, uploads: UploadRefs | None) -> None:
        self.uploads = uploads
        self.uploaded = 0
        """Files this process uploaded."""

    async def blocks(self, client: AsyncWebClient, to: Actor, media: Media) -> list[Block]:
        """The blocks that show a stored file (uploading it first if this workspace has not
        seen it)."""
        file_id, link = await self.file(client, to, media)
        if media.kind == "image":
            return [{"type": "image", "slack_file": {"id": file_id}, "alt_text": ALT_TEXT}]
        label = LINKS.get(media.kind, "Open the file")
        return [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{link}|{entities(label)}>"}}
        ]

    async def forget(self, to: Actor, media: Media) -> None:
        if self.uploads is not None and media.key:
            await self.uploads.forget(media.key, self.account(to))

    @staticmethod
    def account(to: Actor) -> str:
        return f"slack:{split_actor(to)[0]}"

    async def file(self, client: AsyncWebClient, to: Actor, media: Media) -> tuple[str, str]:
        """(file id, link) of the file in the person's workspace."""
        if self.uploads is None:
            return await self._upload(client, media)
        account = self.account(to)
        known = await self.uploads.get(media.key, account)
        if known is None:
            async with self.uploads.turn(media.key, account):
                known = await self.uploads.get(media.key, account)
                if known is None:
                    file_id, link = await self._upload(client, media)
                    known = json.dumps([file_id, link])
                    await self.uploads.put(media.key, account, known)
        file_id, link = json.loads(known)
        return str(file_id), str(link)

    async def _upload(self, client: AsyncWebClient, media: Media) -> tuple[str, str]:
        path = Path(media.ref)
        data = await asyncio.to_thread(path.read_bytes)
        reply = await client.files_upload_v2(content=data, filename=path.name, title=path.name)
        self.uploaded += 1
        file = reply.get("file") or (reply.get("files") or [{}])[0]
        file_id = str(file["id"])
        link = file.get("permalink")
        if not link:  # completeUploadExternal may answer with the id and title only
            info = await client.files_info(file=file_id)
            link = (info.get("file") or {}).get("permalink") or ""
        log.info("uploaded %s to Slack as %s", path.name, file_id)
        return file_id, str(link)
