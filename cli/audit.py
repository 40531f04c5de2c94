"""`tapmark audit PROJECT`: the project's audit log, oldest first, one line per entry.

Times, the entry's own and those in its details (a batch's deadline), are ISO 8601 in the
project's time zone, in the text and in the JSON. Who acted is a member's pseudonym, ``cli`` for
the command line, or ``-`` (null in JSON) for the bot itself.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.managing.operations import require_project
from domain.entities import AuditEntry
from storage.contract import Store

TIME_DETAILS = frozenset({"deadline", "since", "until", "expires_at"})
"""Details that hold a moment as epoch seconds."""


def local_iso(ts: float, zone: str) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(zone)).isoformat(timespec="seconds")


def readable(entry: AuditEntry, zone: str) -> dict[str, Any]:
    """The entry as people and scripts read it: ISO times in `zone`, who acted."""
    details = {
        k: local_iso(v, zone)
        if k in TIME_DETAILS and isinstance(v, int | float) and not isinstance(v, bool)
        else v
        for k, v in entry.details.items()
    }
    who = entry.who or ("cli" if details.get("via") == "cli" else None)
    return {"at": local_iso(entry.at, zone), "who": who, "action": entry.action, "details": details}


def audit_line(entry: AuditEntry, zone: str) -> str:
    shown = readable(entry, zone)
    details = " ".join(
        f"{k}={json.dumps(v, ensure_ascii=False)}"
        for k, v in shown["details"].items()
        if k != "via" or v != "cli"
    )
    return f"{shown['at']}  {shown['who'] or '-':<12}  {entry.action:<20}  {details}".rstrip()


async def print_audit(store: Store, args: argparse.Namespace) -> int:
    async with store.transaction() as tx:
        project = await require_project(tx, args.project)
        zone = project.spec.timezone
        if not args.json:
            print(
                f"# audit log of {project.name!r}, times in {zone}; who is a pseudonymous id, "
                "'cli' for the command line, '-' for the bot itself"
            )
        async for entry in tx.audit_log(project.id):
            if args.json:
                print(json.dumps(readable(entry, zone), ensure_ascii=False))
            else:
                print(audit_line(entry, zone))
    return 0
