"""`tapmark audit PROJECT`: the project's audit log, oldest first, one line per entry."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.manage import require_project
from storage.contract import Store
from storage.models import AuditEntry


def audit_line(entry: AuditEntry, zone: str) -> str:
    when = datetime.fromtimestamp(entry.at, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")
    details = " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                       for k, v in entry.details.items())
    return f"{when}  {entry.who or '-':<12}  {entry.action:<20}  {details}".rstrip()


async def print_audit(store: Store, args: argparse.Namespace) -> int:
    async with store.transaction() as tx:
        project = await require_project(tx, args.project)
        zone = project.spec.timezone
        if not args.json:
            print(f"# audit log of {project.name!r}, times in {zone}; who is a pseudonymous id "
                  "('-' for the CLI or the bot itself)")
        async for entry in tx.audit_log(project.id):
            if args.json:
                print(json.dumps({"at": entry.at, "who": entry.who, "action": entry.action,
                                  "details": entry.details}, ensure_ascii=False))
            else:
                print(audit_line(entry, zone))
    return 0
