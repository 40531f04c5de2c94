"""What the jobs wing answers: /mute and /unmute, for its reminders."""

from __future__ import annotations

from bot.jobs.reminders import on_mute, on_unmute
from bot.routing import Routes

ROUTES = Routes(commands={"mute": on_mute, "unmute": on_unmute})
