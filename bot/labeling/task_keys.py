"""The answer buttons of a task card, by the task type's mode.

- tap: one button per option, its code the option's index (``3``);
- toggle: one button per option, a check mark on those switched on, and *Done*. A button's code
  carries the whole selection it leads to, as a hex bit mask: ``m<mask>`` shows the card with
  that selection, ``d<mask>`` answers with it. A tap therefore means the same thing however often
  it arrives (a double tap, a redelivered update), and nothing about a half-made answer is kept
  anywhere but on the card itself;
- text: no answer buttons (the answer is typed);
- page: one button that opens the annotation page on the card's lease (see `Button.page`).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.chat.actions import Button
from bot.chat.buttons import PAGE, button_token
from tasks.base import TaskView, mask_of, selection

TOGGLE, DONE = "m", "d"
CHECK = "✓ "
OPEN_PAGE = "✏️ Open the task"
MAX_ROW = 8  # Telegram's buttons per row


Layout = Callable[[list[Button]], list[tuple[Button, ...]]]


def option_rows(view: TaskView, token: str, layout: Layout) -> list[tuple[Button, ...]]:
    """The rows of answer buttons for a view (without Skip, Report and Guide); `layout` puts
    buttons in rows when the view does not ask for a number of columns."""
    if view.mode == "text":
        return []
    if view.mode == "page":
        return [(Button(OPEN_PAGE, button_token(token, PAGE), page=token),)]
    if view.mode == "tap":
        buttons = [Button(o.label, button_token(token, str(i))) for i, o in enumerate(view.options)]
    else:
        mask = mask_of(view.selected)
        buttons = [
            Button(
                (CHECK if i in view.selected else "") + o.label,
                button_token(token, f"{TOGGLE}{mask ^ (1 << i):x}"),
            )
            for i, o in enumerate(view.options)
        ]
    if view.columns:
        per_row = min(view.columns, MAX_ROW)
        rows = [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]
    else:
        rows = layout(buttons)
    if view.mode == "toggle":
        picked = len(view.selected)
        done = f"Done ({picked} ✓)" if picked else "Done (none)"
        rows.append((Button(done, button_token(token, f"{DONE}{mask_of(view.selected):x}")),))
    return rows


def parse_toggle(code: str, size: int) -> tuple[bool, frozenset[int]] | None:
    """(is Done, selection) for a toggle code, or None when it is not one for `size` options."""
    if len(code) < 2 or code[0] not in (TOGGLE, DONE):
        return None
    try:
        mask = int(code[1:], 16)
    except ValueError:
        return None
    chosen = selection(mask, size)
    return None if chosen is None else (code[0] == DONE, chosen)
