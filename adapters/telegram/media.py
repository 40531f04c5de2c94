"""Screens with a picture, a sound or a video: sendPhoto, sendAudio, sendVideo with the text
as the caption and the keyboard below, and editMessageMedia to put the next task in place (it
also turns a text message into a media one).

Each stored file is uploaded once per bot: the `file_id` Telegram gives back is kept
(`bot.media.store.UploadRefs`, in the database) and sent instead of the file from then on. A file_id
Telegram no longer takes is dropped and the file uploaded again. A screen whose media is a URL
is sent by URL (Telegram downloads it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram import (
    Bot,
    InputFile,
    InputMediaAudio,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from adapters.telegram.render import caption_parts, keyboard
from adapters.telegram.retry import Retry
from bot.chat.actions import Media, Screen
from bot.media.store import UploadRefs

log = logging.getLogger(__name__)

InputMedia = InputMediaPhoto | InputMediaAudio | InputMediaVideo
Source = str | tuple[bytes, str]
"""A file_id or URL, or a file to upload: its bytes and name."""
_Call = Callable[[Source, bool], Awaitable[Message]]


def _says(exc: BadRequest, *phrases: str) -> bool:
    text = exc.message.lower()
    return any(p in text for p in phrases)


def file_id_of(message: Message, kind: str) -> str | None:
    """The file_id of the media a sent message carries (Telegram may file a sound or a video
    it cannot play as a document)."""
    if kind == "image":
        return message.photo[-1].file_id if message.photo else None
    playable = (
        (message.audio or message.voice)
        if kind == "audio"
        else (message.video or message.animation)
    )
    found = playable or message.document
    return found.file_id if found is not None else None


class MediaSender:
    def __init__(self, bot: Bot, retry: Retry, uploads: UploadRefs | None) -> None:
        self.bot = bot
        self.retry = retry
        self.uploads = uploads
        self.uploaded = 0
        """Files this sender uploaded (rather than sent by file_id or URL)."""

    @property
    def account(self) -> str:
        """file_ids belong to one bot: the key of this bot's references."""
        return f"telegram:{self.bot.id}"

    async def send(self, chat_id: int, screen: Screen) -> Message:
        assert screen.media is not None

        async def call(source: Source, plain: bool) -> Message:
            return await self._send(chat_id, screen, source, plain)

        return await self._with_file(screen.media, call)

    async def edit(self, chat_id: int, message_id: int, screen: Screen) -> None:
        """Put the screen's media and text in place of the message's content (BadRequest when
        Telegram refuses; "message is not modified" is success)."""
        assert screen.media is not None
        media = screen.media

        async def call(source: Source, plain: bool) -> Message:
            html, text = caption_parts(screen)
            item = _input_media(media.kind, source, text if plain else html, plain)
            result = await self.retry(
                "editMessageMedia",
                lambda: self.bot.edit_message_media(
                    item, chat_id, message_id, reply_markup=keyboard(screen)
                ),
                idempotent=True,
            )
            assert isinstance(result, Message)
            return result

        try:
            await self._with_file(media, call)
        except BadRequest as exc:
            if not _says(exc, "message is not modified"):
                raise

    async def _with_file(self, media: Media, call: _Call) -> Message:
        """Send by the known file_id, or upload the file once and keep its file_id."""
        if not media.key or self.uploads is None:
            source = media.ref if "://" in media.ref else await self._file(media)
            return await self._plain_on_refusal(call, source)
        account = self.account
        known = await self.uploads.get(media.key, account)
        if known is not None:
            try:
                return await self._plain_on_refusal(call, known)
            except BadRequest as exc:
                if "file" not in exc.message.lower():
                    raise
                log.info("file_id of %s refused (%s): uploading again", media.key[:12], exc.message)
                await self.uploads.forget(media.key, account)
        async with self.uploads.turn(media.key, account):
            known = await self.uploads.get(media.key, account)
            if known is not None:
                return await self._plain_on_refusal(call, known)
            message = await self._plain_on_refusal(call, await self._file(media))
            file_id = file_id_of(message, media.kind)
            if file_id is not None:
                await self.uploads.put(media.key, account, file_id)
            return message

    async def _plain_on_refusal(self, call: _Call, source: Source) -> Message:
        try:
            return await call(source, False)
        except BadRequest as exc:
            if not _says(exc, "can't parse entities"):
                raise
            log.warning("HTML caption refused (%s): sending plain text", exc.message)
            return await call(source, True)

    async def _file(self, media: Media) -> tuple[bytes, str]:
        data = await asyncio.to_thread(Path(media.ref).read_bytes)
        self.uploaded += 1
        return data, Path(media.ref).name

    async def _send(self, chat_id: int, screen: Screen, file: Source, plain: bool) -> Message:
        assert screen.media is not None
        source = file if isinstance(file, str) else InputFile(file[0], filename=file[1])
        html, text = caption_parts(screen)
        caption = text if plain else html
        mode = None if plain else ParseMode.HTML
        markup = keyboard(screen)
        kind = screen.media.kind
        if kind == "image":
            return await self.retry(
                "sendPhoto",
                lambda: self.bot.send_photo(
                    chat_id, source, caption=caption, parse_mode=mode, reply_markup=markup
                ),
                idempotent=False,
            )
        if kind == "audio":
            return await self.retry(
                "sendAudio",
                lambda: self.bot.send_audio(
                    chat_id, source, caption=caption, parse_mode=mode, reply_markup=markup
                ),
                idempotent=False,
            )
        return await self.retry(
            "sendVideo",
            lambda: self.bot.send_video(
                chat_id, source, caption=caption, parse_mode=mode, reply_markup=markup
            ),
            idempotent=False,
        )


def _input_media(kind: str, source: Source, caption: str, plain: bool) -> InputMedia:
    """An upload goes as raw bytes, which the library attaches as ``attach://`` (an InputFile
    given here would not be)."""
    mode = None if plain else ParseMode.HTML
    media, name = (source, None) if isinstance(source, str) else source
    if kind == "image":
        return InputMediaPhoto(media, caption=caption, parse_mode=mode, filename=name)
    if kind == "audio":
        return InputMediaAudio(media, caption=caption, parse_mode=mode, filename=name)
    return InputMediaVideo(media, caption=caption, parse_mode=mode, filename=name)
