"""What the managing wing answers: the managers' commands, a batch's card and a draft's card."""

from __future__ import annotations

from bot.managing import batches, broadcast, commands
from bot.managing.uploads import on_draft_tap
from bot.routing import Button, Routes
from domain.tokens import BatchCard, DraftCard

ROUTES = Routes(
    commands={
        "project": commands.on_project,
        "invite": commands.on_invite,
        "batches": batches.on_batches,
        "deadline": batches.on_deadline,
        "broadcast": broadcast.on_broadcast,
        "remove": commands.on_remove,
        "members": commands.on_members,
        "suspend": commands.on_suspend,
        "reinstate": commands.on_reinstate,
        "forget": commands.on_forget,
    },
    buttons=(
        Button(BatchCard, batches.on_batch_tap),
        Button(DraftCard, on_draft_tap),
    ),
)
