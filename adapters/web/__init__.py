"""The annotation page: a small aiohttp server (static files and a JSON API) where regions are
drawn on a phone or a desktop.

- `port`: what the page needs from the core (`PagePort`), and the views it passes;
- `auth`: Telegram Mini App initData, signed link tokens for Slack and the console, signed
  media URLs;
- `settings`: the ``TAPMARK_WEB_*`` settings;
- `server`: the aiohttp application;
- `static/`: the page itself (HTML, CSS, plain JavaScript; no build step).

Not yet wired to the chat cards: the core implements `PagePort` after the restructure.
"""
