"""The Telegram adapter: Telegram updates in as core events, core actions out as Bot API calls.

It only translates; the labeling logic is the core's. Modules, one job each:

- `config`: what the adapter needs from the settings (token, API root, webhook, retries).
- `translate`: an Update becomes an `Event` (a document is downloaded through getFile).
- `render`: a `Screen` becomes HTML parts of at most 4096 characters and an inline keyboard.
- `retry`: a small retry wrapper for network errors, 5xx and timeouts.
- `executor`: applies actions: answer the button press, edit in place, fall back to a new message.
- `ordering`: an update processor that keeps one chat's updates in order but runs chats in parallel.
- `handlers`: the python-telegram-bot handlers that join the three together.
- `platform`: the entry the composition root lists (configured? launch, with start-up
  errors read as one line).
- `app`: `TelegramAdapter`, which builds the Application and runs its manual lifecycle.
"""

from typing import Any

__all__ = ["TelegramAdapter", "TelegramConfig"]

_HOMES = {"TelegramAdapter": "adapters.telegram.app", "TelegramConfig": "adapters.telegram.config"}


def __getattr__(name: str) -> Any:
    """The adapter's classes, imported on first use: the platform library takes a while to
    load, and most commands (and the root's list of platforms) never need it."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(name)
