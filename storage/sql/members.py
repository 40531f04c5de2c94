"""SQLite: members, identities, roles, invites, button tokens."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import Any

from domain.entities import Identity, Invite, Member, OutboxMessage, TokenRef
from domain.enums import Role
from storage.contract import Conflict, NotFound
from storage.rows import AnnotatorRole, MemberRow
from storage.sql.base import Duplicate, SqlBase

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(8))


def _member(row: Any) -> Member:
    pending = json.loads(row["pending"]) if row["pending"] else None
    return Member(
        id=row["id"],
        pseudonym=row["pseudonym"],
        name=row["name"],
        project_id=row["project_id"],
        pending=pending,
    )


class MemberOps(SqlBase):
    async def member_by_identity(self, platform: str, user_id: str) -> Member | None:
        row = await self._one(
            "SELECT m.* FROM identities i JOIN members m ON m.id = i.member_id"
            " WHERE i.platform = ? AND i.user_id = ?",
            (platform, user_id),
        )
        return None if row is None else _member(row)

    async def member(self, member_id: int) -> Member:
        row = await self._one("SELECT * FROM members WHERE id = ?", (member_id,))
        if row is None:
            raise NotFound(f"no member with id {member_id}")
        return _member(row)

    async def create_member(self, identity: Identity, now: float) -> Member:
        taken = f"{identity.platform} user {identity.user_id} is already a member"
        if await self.member_by_identity(identity.platform, identity.user_id) is not None:
            raise Conflict(taken)
        pseudonym = "a-" + secrets.token_hex(5)
        member_id = await self._insert(
            "INSERT INTO members (pseudonym, name, created_at) VALUES (?,?,?)",
            (pseudonym, identity.name, now),
        )
        try:
            await self._exec(
                "INSERT INTO identities (platform, user_id, member_id, name) VALUES (?,?,?,?)",
                (identity.platform, identity.user_id, member_id, identity.name),
                guarded=True,
            )
        except Duplicate:  # a concurrent transaction made them a member since the check
            await self._exec("DELETE FROM members WHERE id = ?", (member_id,))
            raise Conflict(taken) from None
        return await self.member(member_id)

    async def identities(self, member_id: int) -> list[Identity]:
        rows = await self._all(
            "SELECT platform, user_id, member_id, name FROM identities WHERE member_id = ?"
            " ORDER BY rowid",
            (member_id,),
        )
        return [Identity(**dict(r)) for r in rows]

    async def create_link_code(self, member_id: int, expires_at: float, now: float) -> str:
        code = new_invite_code()
        await self._exec(
            "INSERT INTO link_codes (code, member_id, expires_at, created_at) VALUES (?,?,?,?)",
            (code, member_id, expires_at, now),
        )
        return code

    async def use_link_code(self, code: str, now: float) -> int:
        row = await self._one(
            "DELETE FROM link_codes WHERE code = ? RETURNING member_id, expires_at",
            (code.strip().upper(),),
        )
        if row is None:
            raise NotFound("that link code is unknown")
        if row["expires_at"] < now:
            raise NotFound("that link code has expired")
        return int(row["member_id"])

    async def attach_identity(self, identity: Identity) -> None:
        await self._exec(
            "INSERT INTO identities (platform, user_id, member_id, name) VALUES (?,?,?,?)"
            " ON CONFLICT (platform, user_id) DO UPDATE SET member_id = excluded.member_id",
            (identity.platform, identity.user_id, identity.member_id, identity.name),
        )

    async def has_work(self, member_id: int) -> bool:
        row = await self._one(
            "SELECT EXISTS (SELECT 1 FROM roles WHERE member_id = ?1)"
            " OR EXISTS (SELECT 1 FROM answers WHERE member_id = ?1)",
            (member_id,),
        )
        return bool(row and row[0])

    async def forget_member(self, member_id: int) -> None:
        await self._exec("DELETE FROM identities WHERE member_id = ?", (member_id,))
        await self._exec("DELETE FROM link_codes WHERE member_id = ?", (member_id,))
        await self._exec("DELETE FROM outbox WHERE member_id = ?", (member_id,))
        await self._exec("UPDATE members SET name = '', pending = NULL WHERE id = ?", (member_id,))

    async def delete_member(self, member_id: int) -> None:
        await self._exec("DELETE FROM members WHERE id = ?", (member_id,))

    async def set_current_project(self, member_id: int, project_id: int) -> None:
        await self._exec("UPDATE members SET project_id = ? WHERE id = ?", (project_id, member_id))

    async def set_pending(self, member_id: int, pending: dict[str, Any] | None) -> None:
        await self._exec(
            "UPDATE members SET pending = ? WHERE id = ?",
            (None if pending is None else json.dumps(pending), member_id),
        )

    async def grant_role(self, project_id: int, member_id: int, role: Role, now: float) -> None:
        await self._exec(
            "INSERT INTO roles (project_id, member_id, role, joined_at) VALUES (?,?,?,?)"
            " ON CONFLICT (project_id, member_id, role) DO NOTHING",
            (project_id, member_id, role.value, now),
        )

    async def roles(self, project_id: int, member_id: int) -> dict[Role, str]:
        rows = await self._all(
            "SELECT role, status FROM roles WHERE project_id = ? AND member_id = ?",
            (project_id, member_id),
        )
        return {Role(r["role"]): r["status"] for r in rows}

    async def annotator_role(self, project_id: int, member_id: int) -> AnnotatorRole | None:
        row = await self._one(
            "SELECT status, qualification, qual_since FROM roles"
            " WHERE project_id = ? AND member_id = ? AND role = 'annotator'",
            (project_id, member_id),
        )
        return None if row is None else AnnotatorRole(**dict(row))

    async def acknowledged_guideline(self, project_id: int, member_id: int) -> int:
        row = await self._one(
            "SELECT MAX(guide_version) FROM roles WHERE project_id = ? AND member_id = ?",
            (project_id, member_id),
        )
        return int(row[0] or 0) if row else 0

    async def set_role_status(
        self, project_id: int, member_id: int, role: Role, status: str
    ) -> None:
        if not await self._exec(
            "UPDATE roles SET status = ? WHERE project_id = ? AND member_id = ? AND role = ?",
            (status, project_id, member_id, role.value),
        ):
            raise NotFound(f"member {member_id} has no {role.value} role in this project")

    async def acknowledge_guideline(self, project_id: int, member_id: int, version: int) -> None:
        await self._exec(
            "UPDATE roles SET guide_version = ?"
            " WHERE project_id = ? AND member_id = ? AND guide_version < ?",
            (version, project_id, member_id, version),
        )

    async def set_qualification(
        self, project_id: int, member_id: int, state: str, since: float
    ) -> None:
        await self._exec(
            "UPDATE roles SET qualification = ?, qual_since = ?"
            " WHERE project_id = ? AND member_id = ? AND role = 'annotator'",
            (state, since, project_id, member_id),
        )

    async def members_with_role(self, project_id: int, role: Role) -> list[int]:
        rows = await self._all(
            "SELECT member_id FROM roles WHERE project_id = ? AND role = ? AND status = 'active'"
            " ORDER BY member_id",
            (project_id, role.value),
        )
        return [int(r[0]) for r in rows]

    async def member_by_pseudonym(self, pseudonym: str) -> Member | None:
        row = await self._one("SELECT * FROM members WHERE pseudonym = ?", (pseudonym,))
        return None if row is None else _member(row)

    async def project_members(self, project_id: int) -> list[MemberRow]:
        rows = await self._all(
            "SELECT m.*, r.role AS r_role, r.status AS r_status, r.waiting_since AS r_waiting,"
            " (SELECT COUNT(*) FROM answers an WHERE an.member_id = m.id"
            "  AND an.project_id = r.project_id) AS n_answers"
            " FROM roles r JOIN members m ON m.id = r.member_id WHERE r.project_id = ?"
            " ORDER BY r.joined_at, m.id, r.role",
            (project_id,),
        )
        return [
            MemberRow(
                member=_member(r),
                role=Role(r["r_role"]),
                status=r["r_status"],
                answers=r["n_answers"],
                waiting_since=r["r_waiting"],
            )
            for r in rows
        ]

    async def create_invite(
        self, project_id: int, role: Role, uses: int | None, expires_at: float | None, now: float
    ) -> Invite:
        code = new_invite_code()
        await self._exec(
            "INSERT INTO invites (code, project_id, role, uses_left, expires_at, created_at)"
            " VALUES (?,?,?,?,?,?)",
            (code, project_id, role.value, uses, expires_at, now),
        )
        return Invite(
            code=code, project_id=project_id, role=role, uses_left=uses, expires_at=expires_at
        )

    async def use_invite(self, code: str, now: float) -> Invite:
        row = await self._one("SELECT * FROM invites WHERE code = ?", (code.strip().upper(),))
        if row is None:
            raise NotFound("that invite code is unknown")
        if row["expires_at"] is not None and row["expires_at"] < now:
            raise NotFound("that invite code has expired")
        uses_left = row["uses_left"]
        if uses_left is not None:
            spent = await self._one(
                "UPDATE invites SET uses_left = uses_left - 1 WHERE code = ? AND uses_left > 0"
                " RETURNING uses_left",
                (row["code"],),
            )
            if spent is None:
                raise NotFound("that invite code has been used up")
            uses_left = spent[0]
        return Invite(
            code=row["code"],
            project_id=row["project_id"],
            role=Role(row["role"]),
            uses_left=uses_left,
            expires_at=row["expires_at"],
        )

    async def issue_token(self, member_id: int, kind: str, ref: dict[str, Any], now: float) -> str:
        token = secrets.token_urlsafe(12)
        await self._exec(
            "INSERT INTO tokens (token, member_id, kind, ref, created_at) VALUES (?,?,?,?,?)",
            (token, member_id, kind, json.dumps(ref), now),
        )
        return token

    async def token(self, token: str) -> TokenRef | None:
        row = await self._one("SELECT * FROM tokens WHERE token = ?", (token,))
        if row is None:
            return None
        return TokenRef(
            token=row["token"],
            member_id=row["member_id"],
            kind=row["kind"],
            ref=json.loads(row["ref"]),
            created_at=row["created_at"],
        )

    async def enqueue(
        self, member_id: int, platform: str, user_id: str, screen: dict[str, Any], now: float
    ) -> int:
        return await self._insert(
            "INSERT INTO outbox (member_id, platform, user_id, screen, created_at)"
            " VALUES (?,?,?,?,?)",
            (member_id, platform, user_id, json.dumps(screen, ensure_ascii=False), now),
        )

    async def outbox_pending(self, platform: str, limit: int) -> list[OutboxMessage]:
        rows = await self._all(
            "SELECT id, member_id, platform, user_id, screen, created_at FROM outbox"
            " WHERE platform = ? AND sent_at IS NULL ORDER BY id LIMIT ?",
            (platform, limit),
        )
        return [
            OutboxMessage(
                id=r["id"],
                member_id=r["member_id"],
                platform=r["platform"],
                user_id=r["user_id"],
                screen=json.loads(r["screen"]),
                created_at=r["created_at"],
            )
            for r in rows
        ]

    async def claim_outbox(
        self, platform: str, limit: int, now: float, hold_s: float
    ) -> list[OutboxMessage]:
        rows = await self._all(
            "UPDATE outbox SET claimed_at = ? WHERE id IN (SELECT id FROM outbox"
            " WHERE platform = ? AND sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?)"
            f" ORDER BY id LIMIT ? {self.lock_skip})"
            " RETURNING id, member_id, platform, user_id, screen, created_at",
            (now, platform, now - hold_s, limit),
        )
        return sorted(
            (
                OutboxMessage(
                    id=r["id"],
                    member_id=r["member_id"],
                    platform=r["platform"],
                    user_id=r["user_id"],
                    screen=json.loads(r["screen"]),
                    created_at=r["created_at"],
                )
                for r in rows
            ),
            key=lambda m: m.id,
        )

    async def mark_sent(self, message_ids: Sequence[int], now: float) -> None:
        await self._many(
            "UPDATE outbox SET sent_at = ? WHERE id = ?", [(now, i) for i in message_ids]
        )

    async def tap_lookup(
        self, token: str, platform: str, user_id: str
    ) -> tuple[TokenRef | None, Member | None]:
        row = await self._one(
            "SELECT m.*, t.token AS t_token, t.member_id AS t_member, t.kind AS t_kind,"
            " t.ref AS t_ref, t.created_at AS t_created FROM (SELECT 1) AS one"
            " LEFT JOIN identities i ON i.platform = ? AND i.user_id = ?"
            " LEFT JOIN members m ON m.id = i.member_id"
            " LEFT JOIN tokens t ON t.token = ?",
            (platform, user_id, token),
        )
        assert row is not None
        member = None if row["id"] is None else _member(row)
        ref = None
        if row["t_token"] is not None:
            ref = TokenRef(
                token=row["t_token"],
                member_id=row["t_member"],
                kind=row["t_kind"],
                ref=json.loads(row["t_ref"]),
                created_at=row["t_created"],
            )
        return ref, member
