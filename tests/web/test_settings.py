"""The TAPMARK_WEB_* settings: defaults, and a clear message for each bad one."""

from __future__ import annotations

import pytest

from adapters.web.settings import SettingsError, web_settings

GOOD = {"TAPMARK_WEB_URL": "https://label.example.org/page", "TAPMARK_WEB_SECRET": "s" * 20}


def test_defaults_and_mount_path() -> None:
    s = web_settings(GOOD)
    assert (s.host, s.port, s.base_path) == ("127.0.0.1", 8088, "/page/")
    assert s.link_ttl == 900 and s.bot_token is None
    assert s.telegram_origin == "https://telegram.org"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"TAPMARK_WEB_URL": "label.example.org"}, "TAPMARK_WEB_URL"),
        ({"TAPMARK_WEB_SECRET": "short"}, "TAPMARK_WEB_SECRET"),
        ({"TAPMARK_WEB_LISTEN": "8088"}, "TAPMARK_WEB_LISTEN"),
        ({"TAPMARK_WEB_LINK_MINUTES": "soon"}, "TAPMARK_WEB_LINK_MINUTES"),
        ({"TAPMARK_WEB_MEDIA_MINUTES": "0"}, "TAPMARK_WEB_MEDIA_MINUTES"),
        ({"TAPMARK_WEB_TELEGRAM_JS": "file:///x.js"}, "TAPMARK_WEB_TELEGRAM_JS"),
    ],
)
def test_bad_settings_are_named(change: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        web_settings({**GOOD, **change})
