"""The PostgreSQL transaction object: the shared operation groups on one asyncpg connection."""

from __future__ import annotations

import asyncpg

from domain.entities import Assignment
from storage.contract import Tx
from storage.postgres.base import PgBase
from storage.sql.ops import SqlOps

PICK_WAIT = "FOR UPDATE OF i"
LOCK_WAIT = "250ms"
"""How long the second pick waits for one item row another transaction holds. Shorter than
PostgreSQL's deadlock_timeout (1s by default), so two transactions waiting on each other's items
give up on their own before the server has to abort one of them."""


class PgTx(SqlOps, PgBase, Tx):
    async def assign(
        self,
        project_id: int,
        member_id: int,
        gold: bool,
        now: float,
        lease_s: float,
        *,
        wait: bool = True,
    ) -> Assignment | None:
        """The first pick skips items other transactions hold (``lock_pick``), so workers
        spread over items instead of queueing on one. When that finds nothing, the items it
        passed over may still be free once their holders commit: a second pick waits for them,
        briefly, so an annotator is not told there is no work while there is some."""
        lease = await self._lease(project_id, member_id, gold, now, lease_s, self.lock_pick)
        if lease is not None or not wait:
            return lease
        previous = await self.conn.fetchval("SELECT current_setting('lock_timeout')")
        await self.conn.execute("SELECT set_config('lock_timeout', $1, true)", LOCK_WAIT)
        try:
            return await self._lease(
                project_id, member_id, gold, now, lease_s, PICK_WAIT, guarded=True
            )
        except asyncpg.LockNotAvailableError:
            return None
        finally:
            await self.conn.execute("SELECT set_config('lock_timeout', $1, true)", previous)
