"""What the review wing answers: /review, the review card and a sent-back item's card, and
QA's typed pings, notes, results and send-back comments, and an annotator's reason to keep."""

from __future__ import annotations

from bot.review import queue, sendback
from bot.routing import Button, Reply, Routes
from domain.tokens import (
    KeepReason,
    NoteText,
    PingText,
    ResultText,
    ReviewCard,
    SendBackComment,
    SentBack,
)

ROUTES = Routes(
    commands={"review": queue.on_review},
    buttons=(
        Button(ReviewCard, queue.on_review_tap),
        Button(SentBack, sendback.on_back_tap),
    ),
    replies=(
        Reply(PingText, queue.on_ping_text),
        Reply(NoteText, queue.on_note_text),
        Reply(ResultText, queue.on_result_text),
        Reply(SendBackComment, sendback.on_comment_text),
        Reply(KeepReason, sendback.on_keep_text),
    ),
)
