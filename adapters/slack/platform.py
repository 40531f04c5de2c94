"""Slack as the root sees it: configured by TAPMARK_SLACK_BOT_TOKEN and
TAPMARK_SLACK_SIGNING_SECRET; launching builds the adapter, keeps the tokens and the secret out
of the logs and starts it, its start-up errors read as one line."""

from __future__ import annotations

from adapters.platform import Adapter, PlatformEntry, StartupFailure, Wiring, cannot_listen
from adapters.slack.config import SlackConfig, SlackSettings
from bot.config import read_settings
from bot.logsafe import redact

REJECTED = {"invalid_auth", "not_authed", "token_revoked", "account_inactive", "token_expired"}
"""Web API errors that mean the token itself is refused."""


def _configured() -> bool:
    return read_settings(SlackSettings).configured


def _listener() -> str | None:
    return None if read_settings(SlackSettings).app_token else "Slack's HTTP mode"


async def launch(wiring: Wiring) -> Adapter:
    # Imported here: slack_bolt and aiohttp take a while to load; only `tapmark run` needs them.
    import aiohttp
    from slack_sdk.errors import SlackApiError, SlackClientError

    from adapters.slack.app import SlackAdapter
    from adapters.slack.logsafe import protect_logs

    config = SlackConfig.from_settings(read_settings(SlackSettings), wiring.listen)
    protect_logs(*config.secrets())
    adapter = SlackAdapter(wiring.core, config, wiring.uploads, wiring.page)
    try:
        await adapter.start()
    except SlackApiError as exc:
        error = str(exc.response.get("error") or exc.response.status_code)
        if error in REJECTED:
            which = "TAPMARK_SLACK_BOT_TOKEN"
            if config.socket_mode and "apps.connections" in str(exc):
                which = "TAPMARK_SLACK_APP_TOKEN"
            raise StartupFailure(f"Slack rejected {which} ({error}).") from None
        raise StartupFailure(
            f"the Slack Web API at {config.base_url} answered {redact(error, config.secrets())}."
        ) from None
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        reason = redact(str(exc) or type(exc).__name__, config.secrets())
        raise StartupFailure(
            f"cannot reach the Slack Web API at {config.base_url}: {reason}"
        ) from None
    except OSError as exc:  # the port is taken, or the host is not ours
        raise cannot_listen(config.listen, exc) from None
    return adapter


SLACK = PlatformEntry(
    name="slack",
    title="Slack",
    needs="TAPMARK_SLACK_BOT_TOKEN and TAPMARK_SLACK_SIGNING_SECRET (Slack)",
    configured=_configured,
    listener=_listener,
    launch=launch,
)
