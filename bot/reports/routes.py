"""What the reports wing answers: /report and /export."""

from __future__ import annotations

from bot.reports import chat
from bot.routing import Routes

ROUTES = Routes(commands={"export": chat.on_export, "report": chat.on_report})
