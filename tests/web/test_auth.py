"""initData as Telegram documents it, link tokens and media tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import quote

import pytest

from adapters.web.auth import AuthError, LinkSigner, check_init_data
from tests.web.conftest import BOT_TOKEN, SECRET, init_data

NOW = 1_800_000_000.0


def by_hand(fields: dict[str, str], token: str) -> str:
    """initData signed step by step from Telegram's description, independent of the module."""
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items()) + f"&hash={digest}"


def test_init_data_signed_as_telegram_documents_is_accepted() -> None:
    fields = {
        "user": json.dumps({"id": 42, "first_name": "Zoë"}),
        "auth_date": str(int(NOW)),
        "query_id": "AAHdF6IQ",
        "chat_instance": "-1",
        "signature": "abc",
    }
    assert check_init_data(by_hand(fields, BOT_TOKEN), BOT_TOKEN, NOW, 600) == "telegram:42"


def test_forged_hash_is_refused() -> None:
    good = init_data(42, NOW)
    forged = good[:-4] + ("0000" if not good.endswith("0000") else "1111")
    with pytest.raises(AuthError, match="not signed by this bot") as e:
        check_init_data(forged, BOT_TOKEN, NOW, 600)
    assert e.value.status == 401


def test_another_bots_init_data_is_refused() -> None:
    with pytest.raises(AuthError, match="not signed by this bot"):
        check_init_data(init_data(42, NOW, token="999:other"), BOT_TOKEN, NOW, 600)


def test_changed_user_is_refused() -> None:
    good = init_data(42, NOW)
    tampered = good.replace("%22id%22%3A+42", "%22id%22%3A+43")
    assert tampered != good
    with pytest.raises(AuthError, match="not signed"):
        check_init_data(tampered, BOT_TOKEN, NOW, 600)


def test_stale_auth_date_is_refused_and_fresh_accepted() -> None:
    data = init_data(42, NOW - 601)
    with pytest.raises(AuthError, match="too long ago"):
        check_init_data(data, BOT_TOKEN, NOW, 600)
    assert check_init_data(data, BOT_TOKEN, NOW - 2, 600) == "telegram:42"


def test_auth_date_in_the_future_is_refused() -> None:
    with pytest.raises(AuthError, match="future"):
        check_init_data(init_data(42, NOW + 3600), BOT_TOKEN, NOW, 600)


@pytest.mark.parametrize("raw", ["", "hash=", "user=%7B%7D&auth_date=1&hash=ab", "a=1&a=2"])
def test_missing_or_malformed_init_data_is_refused(raw: str) -> None:
    with pytest.raises(AuthError):
        check_init_data(raw, BOT_TOKEN, NOW, 600)


def test_link_token_round_trip_and_refusals() -> None:
    signer = LinkSigner(SECRET)
    token = signer.link("slack:U1", "lease-a", NOW, 900)
    grant = signer.check_link(token, NOW + 899)
    assert (grant.person, grant.lease) == ("slack:U1", "lease-a")
    with pytest.raises(AuthError, match="expired"):
        signer.check_link(token, NOW + 901)
    body, _, mac = token.partition(".")
    with pytest.raises(AuthError, match="signature"):
        signer.check_link(body + "." + mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB"), NOW)
    other = LinkSigner(SECRET + "x").link("slack:U1", "lease-a", NOW, 900)
    with pytest.raises(AuthError, match="signature"):
        signer.check_link(other, NOW)
    with pytest.raises(AuthError, match="malformed"):
        signer.check_link("no-dot-here", NOW)


def test_a_media_token_does_not_open_the_page_nor_the_reverse() -> None:
    signer = LinkSigner(SECRET)
    media = signer.media("slack:U1", "lease-a", 0, NOW, 900)
    with pytest.raises(AuthError, match="not valid here"):
        signer.check_link(media, NOW)
    with pytest.raises(AuthError, match="not valid here"):
        signer.check_media(signer.link("slack:U1", "lease-a", NOW, 900), NOW)
    grant = signer.check_media(media, NOW)
    assert (grant.person, grant.lease, grant.image) == ("slack:U1", "lease-a", 0)


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        LinkSigner("short")
