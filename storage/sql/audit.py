"""The audit log: who did what, when: role changes, publishes, exports, QA decisions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from domain.entities import AuditEntry
from storage.sql.base import SqlBase

_PAGE = 500


class AuditOps(SqlBase):
    async def audit(
        self,
        project_id: int | None,
        member_id: int | None,
        action: str,
        details: dict[str, Any],
        now: float,
    ) -> None:
        await self._exec(
            "INSERT INTO audit (at, project_id, member_id, action, details) VALUES (?,?,?,?,?)",
            (now, project_id, member_id, action, json.dumps(details, ensure_ascii=False)),
        )

    async def audit_log(self, project_id: int) -> AsyncIterator[AuditEntry]:
        last = 0
        while True:
            rows = await self._all(
                "SELECT a.id, a.at, a.action, a.details, m.pseudonym FROM audit a"
                " LEFT JOIN members m ON m.id = a.member_id"
                " WHERE a.project_id = ? AND a.id > ? ORDER BY a.id LIMIT ?",
                (project_id, last, _PAGE),
            )
            for r in rows:
                yield AuditEntry(
                    at=r["at"],
                    who=r["pseudonym"],
                    action=r["action"],
                    details=json.loads(r["details"]),
                )
            if len(rows) < _PAGE:
                return
            last = rows[-1]["id"]
