"""Telegram updates as core events: who did what, with nothing of the library left in them."""

from __future__ import annotations

from telegram import CallbackQuery, Document, MaybeInaccessibleMessage, Message, User

from bot.chat.events import Actor, Command, MessageRef, Tap, Text, Upload

PLATFORM = "telegram"
MAX_DOWNLOAD = 20 * 1024 * 1024  # what getFile serves from the public Bot API server


class FileTooBig(Exception):
    """The document is over what the Bot API lets a bot download."""


def actor_of(user: User) -> Actor:
    return Actor(PLATFORM, str(user.id), user.full_name)


def message_ref(message: MaybeInaccessibleMessage) -> MessageRef:
    """Also for a message too old to read (an InaccessibleMessage still has chat and id)."""
    return MessageRef(PLATFORM, str(message.chat.id), str(message.message_id))


def parse_command(text: str, bot_username: str | None = None) -> tuple[str, tuple[str, ...]] | None:
    """``/start@bot CODE`` -> ("start", ("CODE",)); None if it is not a command for this bot."""
    words = text.split()
    if not words or not words[0].startswith("/") or len(words[0]) < 2:
        return None
    name, _, addressee = words[0][1:].partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    return name, tuple(words[1:])


def command_event(message: Message, user: User, bot_username: str | None) -> Command | None:
    parsed = parse_command(message.text or "", bot_username)
    if parsed is None:
        return None
    name, args = parsed
    return Command(actor_of(user), name, args, chat=str(message.chat.id))


def text_event(message: Message, user: User) -> Text:
    reply = message.reply_to_message
    return Text(
        actor_of(user),
        message.text or "",
        reply_to=message_ref(reply) if reply is not None else None,
        chat=str(message.chat.id),
    )


def tap_event(query: CallbackQuery) -> Tap:
    message = query.message
    return Tap(
        actor_of(query.from_user),
        query.data or "",
        message_ref(message) if message is not None else None,
    )


async def upload_event(message: Message, user: User, document: Document) -> Upload:
    """Download the document with getFile (through the library) and hand over its bytes."""
    if document.file_size is not None and document.file_size > MAX_DOWNLOAD:
        raise FileTooBig(document.file_name or "file")
    file = await document.get_file()
    content = bytes(await file.download_as_bytearray())
    name = document.file_name or (file.file_path or "file").rsplit("/", 1)[-1]
    return Upload(actor_of(user), name, content, chat=str(message.chat.id))
