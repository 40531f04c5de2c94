"""The page's addresses for the chat cards: `adapters.platform.PageLinks` over the settings."""

from __future__ import annotations

import time
from collections.abc import Callable

from adapters.web.auth import LinkSigner
from adapters.web.server import mini_app_url, page_link
from adapters.web.settings import WebSettings


class Links:
    """Mini App addresses for Telegram, signed links for everyone else (`clock`: their time)."""

    def __init__(self, settings: WebSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.signer = LinkSigner(settings.secret)
        self.clock = clock

    def mini_app(self, lease: str) -> str:
        return mini_app_url(self.settings, lease)

    def link(self, person: str, lease: str) -> str:
        return page_link(self.settings, self.signer, person, lease, self.clock())
