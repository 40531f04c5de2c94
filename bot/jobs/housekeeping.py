"""Housekeeping: a scheduled job that keeps the tables that grow with every screen small.

Every task card, menu and review card issues a button token, and every message the bot starts
leaves an outbox row. Once an hour the job deletes tokens older than `TOKEN_DAYS` (a button that
old answers as any stale button does: "no longer yours", and /next brings a fresh card) and outbox
messages sent more than `SENT_DAYS` ago. Answers, flags, the audit log and everything exported
are never touched.
"""

from __future__ import annotations

from storage.contract import Store

TOKEN_DAYS = 30
SENT_DAYS = 7
DAY = 86_400.0


async def prune(store: Store, now: float) -> int:
    """Delete what has aged out, at most once per clock hour on any number of workers; how many
    rows went."""
    async with store.transaction() as tx:
        if not await tx.claim_run("prune", str(int(now // 3600)), now):
            return 0
        return await tx.prune(now - TOKEN_DAYS * DAY, now - SENT_DAYS * DAY)
