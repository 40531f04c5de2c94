"""The Slack adapter: Slack requests in as core events, core actions out as Web API calls.

It only translates; the labeling logic is the core's. Modules, one job each:

- `config`: what the adapter needs from the settings (tokens, signing secret, API root, listen).
- `translate`: a slash command, a click or a DM becomes an `Event`; people are ``team:user``.
- `mrkdwn`: the core's Markdown subset as Slack mrkdwn; ``/next`` as ``/tapmark next``.
- `render`: a `Screen` becomes Block Kit messages (sections, one actions block per row); the
  App Home view.
- `directory`: a person's DM channel (conversations.open, cached in memory only).
- `executor`: applies actions: post, update in place (or post anew), toasts, files.
- `redelivery`: Bolt middleware that acknowledges Slack's retries without processing them.
- `ordering`: one person's requests in order, different people at once.
- `home`: the App Home tab (views.publish) with the person's progress.
- `handlers`: the Bolt listeners that join them together.
- `outbox`: serves the core's outbox to Slack members.
- `logsafe`: keeps tokens and the signing secret out of logs.
- `platform`: the entry the composition root lists (configured? launch, with start-up
  errors read as one line).
- `app`: `SlackAdapter`, which builds the AsyncApp and runs HTTP mode or Socket Mode.
"""

from typing import Any

__all__ = ["SlackAdapter", "SlackConfig"]

_HOMES = {"SlackAdapter": "adapters.slack.app", "SlackConfig": "adapters.slack.config"}


def __getattr__(name: str) -> Any:
    """The adapter's classes, imported on first use: the platform library takes a while to
    load, and most commands (and the root's list of platforms) never need it."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(name)
