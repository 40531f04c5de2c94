"""The media methods of the fake Bot API (see telegram_api.py): sendAudio, sendVideo and
editMessageMedia, and the record of every uploaded file.

As on the real server: a file goes up as a multipart part (``attach://name`` inside the
``media`` JSON of editMessageMedia) or is named by a file_id of the same bot or a URL;
editMessageMedia replaces a media message's file and caption, or turns a text message into a
media one (the reverse is editMessageText's "there is no text in the message to edit"); an edit
that changes nothing is "message is not modified". Deviation: a sound or a video keeps whatever
bytes it was sent as (the real server may file ones it cannot play as documents).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram_state import (
    JSON,
    BotState,
    ChatMessage,
    FileRecord,
    Params,
    bad_request,
    parse_reply_markup,
)

MEDIA_TYPES = ("photo", "audio", "video", "document")


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """One file a bot uploaded: its token, the kind it was sent as, its name and bytes."""

    token: str
    kind: str
    filename: str | None
    content: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


class MediaMethods:
    """Mixed into FakeTelegram, whose file and message helpers these use."""

    async def _send_audio(self, bot: BotState, params: Params) -> JSON:
        return await self._send_media(bot, params, "audio")

    async def _send_video(self, bot: BotState, params: Params) -> JSON:
        return await self._send_media(bot, params, "video")

    async def _send_media(self, bot: BotState, params: Params, kind: str) -> JSON:
        fake: Any = self
        chat, user = fake._target_chat(bot, params)
        caption, entities = fake._caption(params)
        message = fake._bot_message(bot, chat, user, params)
        (record,) = await fake._input_file(bot, params, kind)
        setattr(message, kind, record)
        message.caption, message.caption_entities = caption, entities
        result: JSON = fake._commit(chat, message)
        return result

    async def _edit_message_media(self, bot: BotState, params: Params) -> JSON:
        fake: Any = self
        message: ChatMessage = fake._edit_target(bot, params)
        media = params.get_json("media", "can't parse input media JSON object")
        if not isinstance(media, dict) or media.get("type") not in MEDIA_TYPES:
            raise bad_request("can't parse InputMedia: media type is not specified or invalid")
        kind = str(media["type"])
        ref = media.get("media")
        if not isinstance(ref, str) or not ref:
            raise bad_request("there is no media in the request")
        source = (
            params.files.get(ref.removeprefix("attach://")) if ref.startswith("attach://") else ref
        )
        if source is None:
            raise bad_request(f"can't find attached file {ref!r}")
        records: list[FileRecord] = await fake._resolve_file(bot, source, kind)
        caption, entities = fake._caption(Params(media, {}))
        markup, _ = parse_reply_markup(params.values.get("reply_markup"))
        before = message.media_file
        same_file = before is not None and before.file_unique_id == records[-1].file_unique_id
        changed = (
            message.text is not None
            or not same_file
            or (caption, entities) != (message.caption, message.caption_entities)
        )
        fake._check_edit(message, changed, markup)
        message.text, message.entities = None, []
        message.photo, message.audio, message.video, message.document = [], None, None, None
        if kind == "photo":
            message.photo = records
        else:
            setattr(message, kind, records[0])
        message.caption, message.caption_entities = caption, entities
        result: JSON = message.to_api()
        return result
