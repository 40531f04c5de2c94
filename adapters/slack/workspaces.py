"""The workspaces the bot serves: one Web API client per bot token, found by team id.

Most installations have one bot token. An app installed in several workspaces (without Slack's
OAuth flow and an installation store) has one token per workspace: TAPMARK_SLACK_BOT_TOKEN then
lists them, comma-separated. `connect` asks auth.test which workspace each token belongs to;
Bolt's `authorize` and every outgoing call pick the client of the workspace a person is in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.translate import split_actor
from bot.chat.events import Actor


class UnknownWorkspace(LookupError):
    """A person of a workspace none of the bot tokens belongs to."""


class Workspaces:
    def __init__(self, tokens: tuple[str, ...], make_client: Callable[[str], AsyncWebClient]):
        if not tokens:
            raise ValueError("at least one bot token is needed")
        self.clients = [make_client(t) for t in tokens]
        self._teams: dict[str, tuple[AsyncWebClient, AsyncSlackResponse]] = {}

    @property
    def single(self) -> bool:
        return len(self.clients) == 1

    async def connect(self) -> list[AsyncSlackResponse]:
        """auth.test for every token (a wrong token or an unreachable API fails here)."""
        answers = []
        for client in self.clients:
            who = await client.auth_test()
            self._teams[str(who.get("team_id") or "")] = (client, who)
            answers.append(who)
        return answers

    def client(self, team_id: str) -> AsyncWebClient:
        found = self._teams.get(team_id)
        if found is not None:
            return found[0]
        if self.single:  # also an org-wide install: one token for every workspace
            return self.clients[0]
        raise UnknownWorkspace(f"no bot token for workspace {team_id}")

    def client_for(self, person: Actor) -> AsyncWebClient:
        return self.client(split_actor(person)[0])

    def authorizer(self) -> Callable[[str | None], Awaitable[AuthorizeResult | None]]:
        """Bolt's authorize function when there are several tokens (a plain function: Bolt
        passes arguments by the names it finds, and a method's ``self`` would confuse it)."""

        async def authorize(team_id: str | None) -> AuthorizeResult | None:
            found = self._teams.get(team_id or "")
            if found is None:
                return None
            client, who = found
            return AuthorizeResult.from_auth_test_response(
                auth_test_response=who, bot_token=client.token
            )

        return authorize
