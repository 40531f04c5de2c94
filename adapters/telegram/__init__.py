"""The Telegram adapter: Telegram updates in as core events, core actions out as Bot API calls.

It only translates; the labeling logic is the core's. Modules, one job each:

- `config`: what the adapter needs from the settings (token, API root, webhook, retries).
- `translate`: an Update becomes an `Event` (a document is downloaded through getFile).
- `render`: a `Screen` becomes HTML parts of at most 4096 characters and an inline keyboard.
- `retry`: a small retry wrapper for network errors, 5xx and timeouts.
- `executor`: applies actions: answer the button press, edit in place, fall back to a new message.
- `ordering`: an update processor that keeps one chat's updates in order but runs chats in parallel.
- `handlers`: the python-telegram-bot handlers that join the three together.
- `app`: `TelegramAdapter`, which builds the Application and runs its manual lifecycle.
"""

from adapters.telegram.app import TelegramAdapter
from adapters.telegram.config import TelegramConfig

__all__ = ["TelegramAdapter", "TelegramConfig"]
