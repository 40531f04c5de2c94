"""Report charts reach Telegram as photos (shown in the chat), other files as documents."""

from __future__ import annotations

from telegram import Bot

from adapters.telegram.executor import Executor
from bot.chat.actions import SendFile
from bot.chat.events import Actor
from bot.reports.charts import QualityRow, quality_bars
from tests.fakes.telegram_api import FakeTelegram


async def test_a_png_goes_as_a_photo_with_its_caption(tg: FakeTelegram) -> None:
    tg.add_user(3901, "Mia")
    mia = Actor("telegram", "3901", "Mia")
    chart = quality_bars("Quality", "", [QualityRow("a-1", 0.9, 10, 0.8, 40)], 0.7)
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as bot:
        executor = Executor(bot)
        assert await executor.apply([SendFile(mia, "p-quality.png", chart, "*Quality* per person")])
        photo = tg.chat(3901).last_bot_message()
        assert photo is not None and photo.document is None and photo.photo
        assert photo.caption == "Quality per person"
        assert max(p.width for p in photo.photo) == 1000
        assert await executor.apply([SendFile(mia, "p-annotators.csv", b"annotator\n", "")])
        sheet = tg.chat(3901).last_bot_message()
        assert sheet is not None and sheet.document is not None and not sheet.photo
    assert tg.calls["sendPhoto"] == 1 and tg.calls["sendDocument"] == 1
