"""Moving a database from SQLite to PostgreSQL (and back) with `storage.transfer`: a busy
database is built through the Store API, copied, and read back through the Store API."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from domain.entities import Identity, Result
from domain.enums import BatchStatus, Role
from storage import open_store
from storage.contract import Store
from storage.sql.base import SqlBase
from storage.sqlite.store import migrations as sqlite_migrations
from storage.transfer import TABLES, TargetNotEmpty, TransferFailed, copy_database
from tests.storage.postgres_server import scratch_schema
from tests.storage.test_contract import LEASE_S, T0, items, spec


@dataclass
class Built:
    project_id: int
    batch_id: int
    member_ids: list[int]
    assignment_ids: list[int]
    flag_id: int
    item_ids: list[int]


async def build(store: Store) -> Built:
    """A project in use: a guideline, a batch with gold, three annotators and a QA reviewer,
    answers, skips, an open lease, flags with a thread, results, tokens, outbox, audit."""
    async with store.transaction() as tx:
        project = await tx.create_project(spec(), T0)
        await tx.add_guideline(project.id, "v1", T0)
        await tx.add_guideline(project.id, "v2 é", T0 + 1)
        batch = await tx.create_batch(
            project.id,
            "b1",
            items("a", "b", "c", "g", gold={"g": "pos"}),
            BatchStatus.PUBLISHED,
            2,
            T0,
        )
        await tx.set_batch_deadline(batch.id, T0 + 86_400.5)
        members = []
        for n in range(4):
            m = await tx.create_member(
                Identity(platform="telegram", user_id=f"{n}", member_id=0, name=f"P{n}"), T0
            )
            await tx.grant_role(project.id, m.id, Role.ANNOTATOR if n < 3 else Role.QA, T0)
            await tx.acknowledge_guideline(project.id, m.id, 2)
            members.append(m)
        await tx.attach_identity(
            Identity(platform="slack", user_id="T1:U9", member_id=members[0].id, name="P0")
        )
        await tx.set_current_project(members[0].id, project.id)
        await tx.set_pending(members[1].id, {"report": 1})
        await tx.set_qualification(project.id, members[2].id, "passed", T0 + 2)
        await tx.create_invite(project.id, Role.ANNOTATOR, 5, T0 + 999, T0)
        await tx.create_link_code(members[1].id, T0 + 600, T0)
    assignment_ids = []
    for n, m in enumerate(members[:3]):
        async with store.transaction() as tx:
            a = await tx.assign(project.id, m.id, False, T0 + 10 * n, LEASE_S)
            assert a is not None
            assignment_ids.append(a.id)
            if n < 2:
                await tx.record_answer(a, "pos" if n else "neg", T0 + 10 * n + 3.25, None)
            g = None if n else await tx.assign(project.id, m.id, True, T0 + 3_700, LEASE_S)
            if g is not None:
                await tx.record_answer(g, "pos", T0 + 3_705, True)
    async with store.transaction() as tx:
        skipped = await tx.assign(project.id, members[1].id, False, T0 + 50, LEASE_S)
        assert skipped is not None
        await tx.release(skipped, "skipped")
        rows = [r async for r in tx.export_rows(project.id)]
        item_ids = [r.item.id for r in rows]
        await tx.set_item_outcome(
            item_ids[0],
            "done",
            Result(item_id=item_ids[0], label="pos", confidence=0.75, method="majority"),
            T0 + 60,
        )
        flag_id = await tx.add_flag(project.id, item_ids[1], members[1].id, "unclear", "?", T0)
        await tx.add_flag(project.id, None, None, "disputed", "", T0)
        await tx.add_flag_note(flag_id, members[3].id, "sent_back", "look again", T0 + 70)
        await tx.set_flag_waiting(flag_id, T0 + 70)
        await tx.issue_token(members[0].id, "answer", {"assignment": assignment_ids[0]}, T0)
        sent = await tx.enqueue(members[0].id, "telegram", "0", {"text": "hi"}, T0)
        await tx.enqueue(members[1].id, "telegram", "1", {"text": "bonjour é"}, T0)
        await tx.mark_sent([sent], T0 + 1)
        await tx.audit(project.id, members[3].id, "role", {"to": "qa"}, T0)
        await tx.claim_run("digest", f"{project.id}:2027-01-15", T0)
        await tx.set_muted(project.id, members[2].id, True, T0)
        await tx.save_media_upload("ab" * 32, "telegram:1", "file-1", T0)
    return Built(project.id, batch.id, [m.id for m in members], assignment_ids, flag_id, item_ids)


async def snapshot(store: Store, b: Built) -> dict[str, Any]:
    """Everything the Store API says about the built project."""
    p, ms = b.project_id, b.member_ids
    async with store.transaction() as tx:
        return {
            "projects": await tx.projects(),
            "guideline": await tx.guideline(p),
            "batches": await tx.batches(p),
            "progress": await tx.batch_progress(p),
            "export": [r async for r in tx.export_rows(p)],
            "members": await tx.project_members(p),
            "each": [await tx.member(m) for m in ms],
            "identities": [await tx.identities(m) for m in ms],
            "roles": [await tx.roles(p, m) for m in ms],
            "annotator": [await tx.annotator_role(p, m) for m in ms],
            "stats": [await tx.member_stats(p, m, T0) for m in ms],
            "all_stats": await tx.all_member_stats(p),
            "project_stats": await tx.project_stats(p),
            "gold": await tx.gold_counts(p, ms),
            "times": [await tx.answer_times(p, m, 0) for m in ms],
            "assignments": [await tx.assignment(a) for a in b.assignment_ids],
            "open": [await tx.open_assignment(p, m) for m in ms],
            "answers": [await tx.item_answers(i) for i in b.item_ids],
            "screen": await tx.screen_item(b.item_ids[0], p, ms[0], T0),
            "flags": (await tx.flag(b.flag_id), await tx.next_flag(p), await tx.open_flags(p)),
            "notes": await tx.flag_notes(b.flag_id),
            "result": await tx.result(b.item_ids[0]),
            "outbox": await tx.outbox_pending("telegram", 10),
            "audit": [e async for e in tx.audit_log(p)],
            "muted": await tx.muted_members(p),
            "media": await tx.media_upload("ab" * 32, "telegram:1"),
            "live": await tx.live_counts(),
        }


async def all_rows(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in key order (``identities`` without the row id, which only
    PostgreSQL shows)."""
    found = {}
    async with store.transaction() as tx:
        assert isinstance(tx, SqlBase)
        for table, key in TABLES:
            rows = await tx._all(f"SELECT * FROM {table} ORDER BY {key}")
            found[table] = [{k: v for k, v in dict(r).items() if k != "rowid"} for r in rows]
    return found


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with scratch_schema() as url:
        yield url


async def _copy(source_url: str, target_url: str) -> dict[str, int]:
    async with open_store(source_url) as source, open_store(target_url) as target:
        return await copy_database(source, target)


async def test_sqlite_moves_to_postgres_and_reads_back_the_same(
    tmp_path: Path, pg_url: str
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'old.db'}"
    async with open_store(sqlite_url) as old:
        built = await build(old)
        before, rows_before = await snapshot(old, built), await all_rows(old)
    copied = await _copy(sqlite_url, pg_url)
    assert copied == {table: len(rows) for table, rows in rows_before.items()}
    assert copied["answers"] == 3 and copied["identities"] == 5
    async with open_store(pg_url) as new:
        assert await snapshot(new, built) == before
        assert await all_rows(new) == rows_before
        await _new_rows_get_fresh_ids(new, built)


async def _new_rows_get_fresh_ids(store: Store, b: Built) -> None:
    async with store.transaction() as tx:
        project = await tx.create_project(spec(name="q"), T0)
        batch = await tx.create_batch(project.id, "b1", items("n"), BatchStatus.PUBLISHED, 1, T0)
        member = await tx.create_member(
            Identity(platform="telegram", user_id="new", member_id=0), T0
        )
        await tx.attach_identity(Identity(platform="slack", user_id="T1:U8", member_id=member.id))
        await tx.grant_role(project.id, member.id, Role.ANNOTATOR, T0)
        a = await tx.assign(project.id, member.id, False, T0, LEASE_S)
        assert a is not None
        answer = await tx.record_answer(a, "pos", T0 + 1, None)
        flag = await tx.add_flag(project.id, a.item_id, member.id, "other", "", T0)
        note = await tx.add_flag_note(flag, member.id, "kept", "", T0)
        message = await tx.enqueue(member.id, "telegram", "new", {"text": "x"}, T0)
        names = [i.platform for i in await tx.identities(member.id)]
        older = [i.platform for i in await tx.identities(b.member_ids[0])]
    assert project.id > b.project_id and batch.id > b.batch_id
    assert member.id > max(b.member_ids) and a.id > max(b.assignment_ids)
    assert a.item_id > max(b.item_ids) and flag > b.flag_id
    assert min(answer.id, note, message) > 1
    assert names == ["telegram", "slack"] and older == ["telegram", "slack"]


async def test_postgres_moves_back_to_sqlite(tmp_path: Path, pg_url: str) -> None:
    async with open_store(pg_url) as pg:
        built = await build(pg)
        before, rows_before = await snapshot(pg, built), await all_rows(pg)
    sqlite_url = f"sqlite:///{tmp_path / 'back.db'}"
    await _copy(pg_url, sqlite_url)
    async with open_store(sqlite_url) as back:
        assert await snapshot(back, built) == before
        assert await all_rows(back) == rows_before
        await _new_rows_get_fresh_ids(back, built)


async def test_a_target_that_holds_data_is_refused_and_left_alone(
    tmp_path: Path, pg_url: str
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'old.db'}"
    async with open_store(sqlite_url) as old:
        await build(old)
    async with open_store(pg_url) as target:
        async with target.transaction() as tx:
            await tx.create_project(spec(name="already-here"), T0)
    with pytest.raises(TargetNotEmpty, match="projects 1"):
        await _copy(sqlite_url, pg_url)
    async with open_store(pg_url) as target, target.transaction() as tx:
        assert [p.name for p in await tx.projects()] == ["already-here"]


async def test_the_copy_is_all_or_nothing(tmp_path: Path, pg_url: str) -> None:
    """PostgreSQL refuses text with a NUL character, which SQLite stores: the copy stops at
    that row, names the table, and leaves the target empty."""
    sqlite_url = f"sqlite:///{tmp_path / 'old.db'}"
    async with open_store(sqlite_url) as old:
        await build(old)
        async with old.transaction() as tx:
            await tx.create_member(
                Identity(platform="console", user_id="x", member_id=0, name="bad\x00name"), T0
            )
    with pytest.raises(TransferFailed, match="members"):
        await _copy(sqlite_url, pg_url)
    async with open_store(pg_url) as target, target.transaction() as tx:
        assert await tx.projects() == []
        assert await tx.member_by_identity("telegram", "0") is None


def test_every_table_is_copied(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "schema.db")
    try:
        for _, sql in sqlite_migrations():
            db.executescript(sql)
        tables = {
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
    finally:
        db.close()
    assert {t for t, _ in TABLES} == tables
