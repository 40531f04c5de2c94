"""The fake Bot API server against the real python-telegram-bot (no mocks of the library)."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from tests.conftest import free_port
from tests.fakes.telegram_api import FakeTelegram

ANN = 1001
BOB = 1002

# PTB 22 itself warns when it formats RetryAfter (retry_after will become a timedelta).
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as b:
        yield b


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in pairs]])


# ------------------------------------------------------------------------------------------------
# telegram.Bot straight at the fake


async def test_get_me_and_send_edit_with_keyboard(tg: FakeTelegram, bot: Bot) -> None:
    assert bot.username == "tapmark_test_bot"
    assert (await bot.get_me()).is_bot
    tg.add_user(ANN, "Ann")

    sent = await bot.send_message(ANN, "Is this a cat?", reply_markup=keyboard(("Yes", "y:1")))
    shown = tg.chat(ANN).last_bot_message()
    assert shown is not None and shown.message_id == sent.message_id
    assert (shown.text, shown.labels) == ("Is this a cat?", ["Yes"])
    assert shown.buttons[0].callback_data == "y:1"
    assert sent.reply_markup == keyboard(("Yes", "y:1"))  # the library parses the echo back

    new_keys = keyboard(("Yes", "y:2"), ("No", "n:2"))
    edited = await bot.edit_message_text(
        "Is this a dog?", ANN, sent.message_id, reply_markup=new_keys
    )
    assert isinstance(edited, type(sent)) and edited.edit_date is not None
    assert shown.text == "Is this a dog?" and shown.labels == ["Yes", "No"] and shown.edited

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Is this a dog?", ANN, sent.message_id, reply_markup=new_keys)
    await bot.edit_message_reply_markup(ANN, sent.message_id, reply_markup=keyboard(("Ok", "ok")))
    assert shown.labels == ["Ok"]

    await bot.edit_message_text("Done.", ANN, sent.message_id)  # no keyboard sent: it goes
    assert shown.buttons == [] and shown.edit_count == 3
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", ANN, 999)
    assert tg.calls["editMessageText"] == 4 and tg.calls["sendMessage"] == 1


async def test_limits_are_enforced_with_the_real_errors(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(ANN, "Ann")
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(ANN, "pick", reply_markup=keyboard(("A", "x" * 65)))
    await bot.send_message(ANN, "pick", reply_markup=keyboard(("A", "é" * 32)))  # 64 bytes: fine
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ANN, "a" * 4097)
    await bot.send_message(ANN, "a" * 4096)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ANN, "   ")
    with pytest.raises(BadRequest, match="Text buttons are unallowed"):
        await bot.send_message(ANN, "x", reply_markup=InlineKeyboardMarkup([[{"text": "t"}]]))  # type: ignore[list-item]
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(ANN, InputFile(b"abc", filename="a.txt"), caption="c" * 1025)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hello?")
    tg.add_user(BOB, "Bob", started=False)
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(BOB, "hello?")
    tg.user_block(ANN)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(ANN, "still there?")
    assert len(tg.chat(ANN).bot_messages()) == 2


async def test_answer_callback_query_once(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(ANN, "Ann")
    sent = await bot.send_message(ANN, "pick", reply_markup=keyboard(("A", "a"), ("B", "b")))
    query_id = tg.user_tap(ANN, sent.message_id, "b")
    assert tg.answer(query_id) is None

    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(query_id, text="t" * 201)
    assert await bot.answer_callback_query(query_id, text="Saved: B")
    answer = tg.answer(query_id)
    assert answer is not None and (answer.text, answer.show_alert) == ("Saved: B", False)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("12345")
    with pytest.raises(LookupError):
        tg.user_tap(ANN, sent.message_id, "zzz")  # a person can only press what is shown


async def test_parse_modes(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(ANN, "Ann")
    m = await bot.send_message(ANN, "<b>Cat</b> &amp; dog", parse_mode=ParseMode.HTML)
    assert m.text == "Cat & dog" and m.entities[0].type == "bold"
    m = await bot.send_message(ANN, "*Cat* \\- _dog_\\.", parse_mode=ParseMode.MARKDOWN_V2)
    assert m.text == "Cat - dog." and [e.type for e in m.entities] == ["bold", "italic"]
    m = await bot.send_message(ANN, "*Cat* and `code`", parse_mode=ParseMode.MARKDOWN)
    assert m.text == "Cat and code"
    with pytest.raises(BadRequest, match=r"(?i)character '.' is reserved"):
        await bot.send_message(ANN, "Done.", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(
        BadRequest, match=r"(?i)can't find end of the entity starting at byte offset 7"
    ):
        await bot.send_message(ANN, "tapmark_test", parse_mode=ParseMode.MARKDOWN)
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "div"'):
        await bot.send_message(ANN, "<div>x</div>", parse_mode=ParseMode.HTML)


async def test_files_round_trip(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(ANN, "Ann")
    sent = await bot.send_document(ANN, InputFile(b"id,label\n1,cat\n", filename="labels.csv"))
    assert sent.document is not None and sent.document.file_name == "labels.csv"
    shown = tg.chat(ANN).last_bot_message()
    assert shown is not None and shown.document is not None
    assert shown.document.content == b"id,label\n1,cat\n"
    again = await bot.send_document(ANN, sent.document.file_id)  # by file_id: no upload
    assert again.document is not None and again.document.file_id == sent.document.file_id

    tg.user_send_document(ANN, "batch.json", b'{"tasks": []}')
    update = tg.bot().updates[-1]
    file = await bot.get_file(update["message"]["document"]["file_id"])
    assert bytes(await file.download_as_bytearray()) == b'{"tasks": []}'

    png = _png(40, 30)
    photo = await bot.send_photo(ANN, png, caption="a picture")
    assert photo.photo[-1].width == 40 and photo.caption == "a picture"
    file = await bot.get_file(photo.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == png
    with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
        await bot.send_photo(ANN, _png(400, 10))


def _png(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


async def test_long_polling_returns_early_and_confirms(tg: FakeTelegram, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.2)
        tg.user_send_text(ANN, "hi", first_name="Ann")

    started = time.monotonic()
    updates, _ = await asyncio.gather(bot.get_updates(timeout=5), later())
    assert time.monotonic() - started < 2
    assert [u.message.text for u in updates if u.message] == ["hi"]
    assert len(await bot.get_updates()) == 1  # not confirmed yet: comes again
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == ()
    assert tg.bot().pending == []


async def test_faults_429_500_delay_and_bad_token(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(ANN, "Ann")
    tg.fail_next("sendMessage", 1, code=429, retry_after=3)
    with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
        await bot.send_message(ANN, "x")
    tg.fail_next("sendMessage", 1, code=500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(ANN, "x")
    tg.delay("sendMessage", 0.5)
    with pytest.raises(TimedOut):
        await bot.send_message(ANN, "x", read_timeout=0.1)
    tg.delay("sendMessage", 0)
    await bot.send_message(ANN, "x")
    assert tg.calls["sendMessage"] == 4
    with pytest.raises(BadRequest, match=r"(?i)not implemented by FakeTelegram"):
        await bot.do_api_request("sendHologram", {"chat_id": ANN})
    assert tg.unsupported == ["sendHologram"]
    with pytest.raises(InvalidToken):  # 401 Unauthorized for a token the fake does not know
        async with Bot("999:nope", base_url=tg.base_url):
            pass


async def test_rate_limiter_retries_after_429(tg: FakeTelegram) -> None:
    tg.add_user(ANN, "Ann")
    limited = ExtBot(
        tg.token,
        base_url=tg.base_url,
        base_file_url=tg.base_file_url,
        rate_limiter=AIORateLimiter(max_retries=3),
    )
    async with limited:
        tg.fail_next("sendMessage", 1, code=429, retry_after=1)
        started = time.monotonic()
        message = await limited.send_message(ANN, "after a pause")
    assert message.text == "after a pause"
    assert tg.calls["sendMessage"] == 2
    assert time.monotonic() - started >= 1.0
    assert len(tg.chat(ANN).bot_messages()) == 1


async def test_two_bots_in_one_fake() -> None:
    tokens = {"111:AAA-first": "first_bot", "222:BBB-second": "second_bot"}
    async with FakeTelegram(tokens) as tg:
        for token, username in tokens.items():
            async with Bot(token, base_url=tg.base_url) as b:
                assert b.username == username
                tg.add_user(ANN, "Ann", token=token)
                await b.send_message(ANN, f"from {username}")
        texts = [tg.chat(ANN, t).bot_messages()[0].text for t in tokens]
        assert texts == ["from first_bot", "from second_bot"]


# ------------------------------------------------------------------------------------------------
# A whole Application: polling and webhook


class LabelBot:
    """A tiny bot: /start shows a question with two buttons; a tap answers and edits."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        app.add_handler(CommandHandler("start", self.start))
        app.add_handler(CallbackQueryHandler(self.tap))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.text))

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.effective_user is not None
        self.seen.append(f"start {context.args}")
        await update.message.reply_text(
            f"Hi {update.effective_user.first_name}! Cat?",
            reply_markup=keyboard(("Yes", "label:yes"), ("No", "label:no")),
        )

    async def tap(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        self.seen.append(f"tap {query.data}")
        await query.answer(f"Saved {query.data}")
        await query.edit_message_text(f"You said {query.data}")

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        self.seen.append(f"text {update.message.text}")


def build_app(tg: FakeTelegram) -> Application:  # type: ignore[type-arg]
    return (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )


async def test_application_polling(tg: FakeTelegram) -> None:
    app, labels = build_app(tg), LabelBot()
    labels.install(app)
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            tg.user_send_text(ANN, "/start ref42", first_name="Ann")
            question = await tg.wait_bot_message(ANN)
            assert question.text == "Hi Ann! Cat?" and question.labels == ["Yes", "No"]

            query_id = tg.user_press(ANN, "No")
            answer = await tg.wait_answered(query_id)
            assert answer.text == "Saved label:no"
            await tg.wait_for(lambda: question.text == "You said label:no")
            assert question.buttons == []  # edited without a keyboard
        finally:
            await app.updater.stop()
            await app.stop()
    assert labels.seen == ["start ['ref42']", "tap label:no"]
    assert tg.calls["deleteWebhook"] == 1  # polling starts by removing any webhook
    assert tg.bot().pending == []  # the last getUpdates confirmed everything


async def test_application_webhook(tg: FakeTelegram) -> None:
    app, labels = build_app(tg), LabelBot()
    labels.install(app)
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg-hook"
    async with app:
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="tg-hook",
            webhook_url=url,
            secret_token="s3cret-token",
        )
        await app.start()
        try:
            webhook = tg.bot().webhook
            assert webhook is not None and (webhook.url, webhook.secret_token) == (
                url,
                "s3cret-token",
            )
            tg.user_send_text(ANN, "/start", first_name="Ann")
            assert (await tg.wait_delivered()).status == 200
            question = await tg.wait_bot_message(ANN)
            query_id = tg.user_tap(ANN, question.message_id, "label:yes")
            assert (await tg.wait_answered(query_id)).text == "Saved label:yes"

            forged = copy.deepcopy(tg.bot().updates[0])
            forged["update_id"] = 99_999
            forged["message"]["text"] = "forged"
            forged["message"]["entities"] = []
            assert await tg.post_update(forged, secret_token="wrong") == 403
            assert await tg.post_update(forged, secret_token=None) == 403
            assert (
                await tg.post_update(
                    forged,
                    secret_token="s3cret-token",
                    content_type="application/json; charset=utf-8",
                )
                == 403
            )
            tg.user_send_text(ANN, "genuine")
            await tg.wait_for(lambda: "text genuine" in labels.seen)
            with pytest.raises(Conflict, match="webhook is active"):
                await app.bot.get_updates()
        finally:
            await app.updater.stop()
            await app.stop()
    assert labels.seen == ["start []", "tap label:yes", "text genuine"]
    assert [d.status for d in tg.deliveries()] == [200, 200, 200]
    assert tg.calls["setWebhook"] == 1
