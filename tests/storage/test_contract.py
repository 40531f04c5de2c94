"""The Store contract, on a real database file.

Written against `storage.contract` only, so the same tests run against every engine: the
`engine` fixture (tests/storage/engines.py) names one, SQLite or PostgreSQL, and knows the few
engine-specific details a contract test needs (its URL, its integrity error, how to run one raw
SQL statement inside a transaction). Everything else goes through `Store` and `Tx`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from domain.entities import Assignment, Identity, Member, NewItem, Project, Result
from domain.enums import BatchStatus, Role
from domain.spec import ProjectSpec
from storage import open_store
from storage.contract import Conflict, NotFound, Store
from tests.storage.engines import Engine

T0 = 1_800_000_000.0
LEASE_S = 600.0
PLATFORM = "console"


# --- helpers -------------------------------------------------------------------------------


def spec(name: str = "p", title: str = "Sentiment", **extra: Any) -> ProjectSpec:
    return ProjectSpec.model_validate(
        {
            "name": name,
            "title": title,
            "task": "single_choice",
            "labels": ["pos", "neg", "neu"],
            **extra,
        }
    )


def items(*ids: str, gold: dict[str, str] | None = None) -> list[NewItem]:
    gold = gold or {}
    return [
        NewItem(
            ext_id=i,
            data={"text": f"text of {i}"},
            gold=gold.get(i),
            explanation="because" if i in gold else None,
        )
        for i in ids
    ]


@dataclass
class World:
    project: Project
    batch_id: int
    item_ids: dict[str, int]
    members: list[Member]


async def world(
    store: Store,
    ids: Sequence[str] = ("x", "y", "z"),
    n_target: int = 1,
    n_members: int = 3,
    status: BatchStatus = BatchStatus.PUBLISHED,
    gold: dict[str, str] | None = None,
) -> World:
    """A project with one batch of `ids` and `n_members` annotators."""
    async with store.transaction() as tx:
        project = await tx.create_project(spec(), T0)
        batch = await tx.create_batch(
            project.id, "b1", items(*ids, gold=gold), status, n_target, T0
        )
        members = []
        for n in range(n_members):
            member = await tx.create_member(
                Identity(platform=PLATFORM, user_id=f"user-{n}", member_id=0, name=f"U{n}"), T0
            )
            await tx.grant_role(project.id, member.id, Role.ANNOTATOR, T0)
            members.append(member)
        item_ids = {}
        async for row in tx.export_rows(project.id):
            item_ids[row.item.ext_id] = row.item.id
    return World(project, batch.id, item_ids, members)


async def lease(
    store: Store, w: World, member: Member, now: float = T0, gold: bool = False
) -> Assignment | None:
    async with store.transaction() as tx:
        return await tx.assign(w.project.id, member.id, gold, now, LEASE_S)


async def answer(store: Store, a: Assignment, value: str = "pos", now: float = T0 + 5) -> None:
    async with store.transaction() as tx:
        await tx.record_answer(a, value, now, None)


async def ext_id(store: Store, a: Assignment | None) -> str | None:
    if a is None:
        return None
    async with store.transaction() as tx:
        return (await tx.item(a.item_id)).ext_id


async def drain(store: Store, w: World, member: Member, now: float = T0) -> list[str]:
    """Lease and answer until the member gets nothing; the item ids they labeled, in order."""
    got: list[str] = []
    while (a := await lease(store, w, member, now)) is not None:
        got.append(str(await ext_id(store, a)))
        await answer(store, a, now=now + 1)
        assert len(got) < 100
    return got


# --- schema and connection -----------------------------------------------------------------


def test_migrations_are_numbered_from_one_without_gaps(engine: Engine) -> None:
    numbers = engine.migration_numbers()
    assert numbers, "no migrations shipped"
    assert numbers == list(range(1, len(numbers) + 1))


async def test_open_applies_every_migration(engine: Engine, engine_store: Store) -> None:
    assert await engine_store.schema_version() == max(engine.migration_numbers())


async def test_reopening_applies_nothing_new_and_keeps_data(engine: Engine) -> None:
    async with open_store(engine.url) as first:
        version = await first.schema_version()
        async with first.transaction() as tx:
            await tx.create_project(spec(), T0)
    async with open_store(engine.url) as again:
        assert await again.schema_version() == version
        async with again.transaction() as tx:
            projects = await tx.projects()
    assert [p.name for p in projects] == ["p"]


async def test_a_second_store_on_the_same_database_sees_committed_work(engine: Engine) -> None:
    async with open_store(engine.url) as one, open_store(engine.url) as two:
        async with one.transaction() as tx:
            await tx.create_project(spec(), T0)
        async with two.transaction() as tx:
            assert await tx.project_by_name("p") is not None


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(
    engine: Engine, engine_store: Store
) -> None:
    if engine.name != "sqlite":
        pytest.skip("SQLite pragmas")
    path = engine.url.removeprefix("sqlite:///")
    plain = sqlite3.connect(path)
    try:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        plain.close()
    async with engine_store.transaction() as tx:
        assert await engine.raw(tx, "PRAGMA foreign_keys") == [(1,)]
        assert (await engine.raw(tx, "PRAGMA busy_timeout"))[0][0] > 0


async def test_foreign_keys_reject_a_dangling_reference(
    engine: Engine, engine_store: Store
) -> None:
    w = await world(engine_store)
    with pytest.raises(engine.integrity_errors):
        async with engine_store.transaction() as tx:
            await engine.raw(
                tx,
                "INSERT INTO assignments (project_id, item_id, member_id, status, shown_at,"
                " expires_at) VALUES (?,?,?,'leased',?,?)",
                (w.project.id, 999_999, w.members[0].id, T0, T0 + 1),
            )


async def test_a_transaction_that_raises_leaves_nothing_written(engine_store: Store) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with engine_store.transaction() as tx:
            project = await tx.create_project(spec(), T0)
            await tx.add_guideline(project.id, "rules", T0)
            await tx.create_batch(project.id, "b1", items("a", "b"), BatchStatus.PUBLISHED, 3, T0)
            await tx.create_member(Identity(platform=PLATFORM, user_id="u", member_id=0), T0)
            raise RuntimeError("boom")
    async with engine_store.transaction() as tx:
        assert await tx.projects() == []
        assert await tx.member_by_identity(PLATFORM, "u") is None


# --- projects and guidelines ---------------------------------------------------------------


async def test_create_update_and_get_a_project(engine_store: Store) -> None:
    async with engine_store.transaction() as tx:
        created = await tx.create_project(spec(lease_minutes=10), T0)
    async with engine_store.transaction() as tx:
        updated = await tx.update_project(spec(title="Feelings", lease_minutes=20), T0 + 1)
        by_id = await tx.project(created.id)
        by_name = await tx.project_by_name("p")
        missing = await tx.project_by_name("nope")
    assert created.name == "p" and created.spec.lease_minutes == 10
    assert updated.id == created.id
    assert by_id == by_name == updated
    assert by_id.title == "Feelings" and by_id.spec.lease_minutes == 20
    assert by_id.spec.label_values() == ["pos", "neg", "neu"]
    assert missing is None


async def test_updating_or_getting_an_unknown_project_is_not_found(engine_store: Store) -> None:
    with pytest.raises(NotFound):
        async with engine_store.transaction() as tx:
            await tx.update_project(spec(name="ghost"), T0)
    with pytest.raises(NotFound):
        async with engine_store.transaction() as tx:
            await tx.project(12345)


async def test_a_duplicate_project_name_is_a_conflict(engine_store: Store) -> None:
    async with engine_store.transaction() as tx:
        await tx.create_project(spec(), T0)
    with pytest.raises(Conflict, match="'p'"):
        async with engine_store.transaction() as tx:
            await tx.create_project(spec(title="Another"), T0)
    async with engine_store.transaction() as tx:
        projects = await tx.projects()
    assert [(p.name, p.title) for p in projects] == [("p", "Sentiment")]


async def test_guideline_versions_increase_and_the_latest_is_served(engine_store: Store) -> None:
    async with engine_store.transaction() as tx:
        project = await tx.create_project(spec(), T0)
        other = await tx.create_project(spec(name="q"), T0)
        assert await tx.guideline(project.id) is None
        first = await tx.add_guideline(project.id, "v1 rules", T0)
        second = await tx.add_guideline(project.id, "v2 rules", T0 + 1)
        elsewhere = await tx.add_guideline(other.id, "other rules", T0 + 2)
        latest = await tx.guideline(project.id)
    assert (first.version, second.version, elsewhere.version) == (1, 2, 1)
    assert latest is not None and (latest.version, latest.body) == (2, "v2 rules")


# --- batches and items ---------------------------------------------------------------------


async def test_create_batch_stores_every_item(engine_store: Store) -> None:
    w = await world(engine_store, ids=("a", "b", "g"), n_target=2, gold={"g": "neg"})
    async with engine_store.transaction() as tx:
        batches = await tx.batches(w.project.id)
        stored = {k: await tx.item(v) for k, v in w.item_ids.items()}
    assert [(b.name, b.status) for b in batches] == [("b1", BatchStatus.PUBLISHED)]
    assert sorted(stored) == ["a", "b", "g"]
    assert stored["a"].data == {"text": "text of a"}
    assert (stored["a"].status, stored["a"].n_answers, stored["a"].n_target) == ("open", 0, 2)
    assert (stored["g"].gold, stored["g"].explanation) == ("neg", "because")
    assert stored["a"].gold is None


async def test_a_duplicate_batch_name_is_a_conflict(engine_store: Store) -> None:
    w = await world(engine_store)
    with pytest.raises(Conflict, match="b1"):
        async with engine_store.transaction() as tx:
            await tx.create_batch(w.project.id, "b1", items("new"), BatchStatus.PUBLISHED, 1, T0)


@pytest.mark.parametrize("ids", [("x", "fresh"), ("fresh", "fresh")])
async def test_a_duplicate_item_id_is_a_conflict_and_writes_nothing(
    engine_store: Store, ids: tuple[str, str]
) -> None:
    w = await world(engine_store, ids=("x",))
    with pytest.raises(Conflict):
        async with engine_store.transaction() as tx:
            await tx.create_batch(w.project.id, "b2", items(*ids), BatchStatus.PUBLISHED, 1, T0)
    async with engine_store.transaction() as tx:
        batches = [b.name for b in await tx.batches(w.project.id)]
        ext_ids = [row.item.ext_id async for row in tx.export_rows(w.project.id)]
    assert batches == ["b1"]
    assert ext_ids == ["x"]


async def test_create_batch_is_all_or_nothing_even_when_the_conflict_is_handled(
    engine_store: Store,
) -> None:
    """A caller that shows the Conflict to the manager and goes on (as the core does with
    NotFound from use_invite) must not commit a half batch: the contract says "add a batch
    with all its items, or raise Conflict"."""
    w = await world(engine_store, ids=("x",))
    async with engine_store.transaction() as tx:
        with pytest.raises(Conflict):
            await tx.create_batch(
                w.project.id, "b2", items("fresh", "x"), BatchStatus.PUBLISHED, 1, T0
            )
    async with engine_store.transaction() as tx:
        batches = [b.name for b in await tx.batches(w.project.id)]
        ext_ids = [row.item.ext_id async for row in tx.export_rows(w.project.id)]
    assert batches == ["b1"]
    assert ext_ids == ["x"]


async def test_a_large_batch_goes_in_chunks_and_taken_ids_are_named(
    engine_store: Store,
) -> None:
    w = await world(engine_store, ids=("x",))
    async with engine_store.transaction() as tx:
        assert await tx.taken_ids(w.project.id, ["a", "x", "b"]) == ["x"]
        batch = await tx.create_batch(w.project.id, "big", [], BatchStatus.DRAFT, 2, T0)
        await tx.add_items(batch.id, items(*(f"n{i}" for i in range(600))), 2)
        await tx.add_items(batch.id, items("m"), 2)
        assert sorted(await tx.taken_ids(w.project.id, ["n0", "n599", "m", "q"])) == [
            "m",
            "n0",
            "n599",
        ]
        with pytest.raises(Conflict, match="'n5' are already in the project"):
            await tx.add_items(batch.id, items("fresh", "n5"), 2)
        with pytest.raises(Conflict, match="'twice' repeat in the batch"):
            await tx.add_items(batch.id, items("twice", "twice"), 2)
        with pytest.raises(NotFound):
            await tx.add_items(batch.id + 100, items("lost"), 2)
    async with engine_store.transaction() as tx:
        progress = {p.batch.name: p.items for p in await tx.batch_progress(w.project.id)}
        ext_ids = {row.item.ext_id async for row in tx.export_rows(w.project.id)}
    assert progress == {"b1": 1, "big": 601}
    assert "fresh" not in ext_ids and "twice" not in ext_ids and len(ext_ids) == 602


async def test_the_same_item_id_may_appear_in_two_projects(engine_store: Store) -> None:
    async with engine_store.transaction() as tx:
        p = await tx.create_project(spec(), T0)
        q = await tx.create_project(spec(name="q"), T0)
        await tx.create_batch(p.id, "b1", items("x"), BatchStatus.PUBLISHED, 1, T0)
        await tx.create_batch(q.id, "b1", items("x"), BatchStatus.PUBLISHED, 1, T0)


async def test_item_outcome_and_target_are_stored(engine_store: Store) -> None:
    w = await world(engine_store)
    item_id = w.item_ids["x"]
    result = Result(item_id=item_id, label="neg", confidence=0.75, method="majority")
    async with engine_store.transaction() as tx:
        await tx.set_item_outcome(item_id, "done", result, T0)
        await tx.set_item_target(w.item_ids["y"], 4)
    async with engine_store.transaction() as tx:
        rows = {row.item.ext_id: row async for row in tx.export_rows(w.project.id)}
    assert rows["x"].item.status == "done" and rows["x"].result == result
    assert rows["y"].item.n_target == 4 and rows["y"].result is None
    async with engine_store.transaction() as tx:
        await tx.set_item_outcome(item_id, "disputed", None, T0)
        rows = {row.item.ext_id: row async for row in tx.export_rows(w.project.id)}
    assert rows["x"].item.status == "disputed" and rows["x"].result is None


async def test_batch_status_changes_and_unknown_batch_is_not_found(engine_store: Store) -> None:
    w = await world(engine_store, status=BatchStatus.DRAFT)
    async with engine_store.transaction() as tx:
        await tx.set_batch_status(w.batch_id, BatchStatus.PAUSED)
        assert [b.status for b in await tx.batches(w.project.id)] == [BatchStatus.PAUSED]
    with pytest.raises(NotFound):
        async with engine_store.transaction() as tx:
            await tx.set_batch_status(999_999, BatchStatus.PUBLISHED)


# --- members, identities, invites ----------------------------------------------------------


async def test_an_identity_maps_to_one_member(engine: Engine, engine_store: Store) -> None:
    alice = Identity(platform="telegram", user_id="42", member_id=0, name="Alice")
    async with engine_store.transaction() as tx:
        member = await tx.create_member(alice, T0)
        other = await tx.create_member(
            Identity(platform="slack", user_id="42", member_id=0, name="Bob"), T0
        )
    async with engine_store.transaction() as tx:
        found = await tx.member_by_identity("telegram", "42")
        stranger = await tx.member_by_identity("telegram", "43")
        ids = await tx.identities(member.id)
    assert found == member and found.id != other.id
    assert member.pseudonym != other.pseudonym
    assert member.pseudonym and member.pseudonym != "42"
    assert stranger is None
    assert [(i.platform, i.user_id, i.member_id) for i in ids] == [("telegram", "42", member.id)]
    with pytest.raises(Conflict):
        async with engine_store.transaction() as tx:
            await tx.create_member(alice, T0)
    async with engine_store.transaction() as tx:
        assert await tx.member_by_identity("telegram", "42") == member


async def test_member_project_pending_and_roles(engine_store: Store) -> None:
    w = await world(engine_store, n_members=1)
    m = w.members[0]
    async with engine_store.transaction() as tx:
        await tx.set_current_project(m.id, w.project.id)
        await tx.set_pending(m.id, {"report": 7})
        await tx.grant_role(w.project.id, m.id, Role.QA, T0)
        await tx.grant_role(w.project.id, m.id, Role.QA, T0)  # granting twice is harmless
    async with engine_store.transaction() as tx:
        member = await tx.member(m.id)
        roles = await tx.roles(w.project.id, m.id)
        await tx.set_pending(m.id, None)
        cleared = await tx.member(m.id)
    assert member.project_id == w.project.id and member.pending == {"report": 7}
    assert roles == {Role.ANNOTATOR: "active", Role.QA: "active"}
    assert cleared.pending is None
    with pytest.raises(NotFound):
        async with engine_store.transaction() as tx:
            await tx.member(999_999)


async def _invite(
    store: Store, uses: int | None = None, expires_at: float | None = None
) -> tuple[Project, str]:
    async with store.transaction() as tx:
        project = await tx.project_by_name("p") or await tx.create_project(spec(), T0)
        invite = await tx.create_invite(project.id, Role.ANNOTATOR, uses, expires_at, T0)
    assert len(invite.code) == 8 and invite.code == invite.code.upper()
    return project, invite.code


async def _use(store: Store, code: str, now: float = T0) -> Any:
    async with store.transaction() as tx:
        return await tx.use_invite(code, now)


async def test_an_invite_runs_out_of_uses(engine_store: Store) -> None:
    project, code = await _invite(engine_store, uses=2)
    first = await _use(engine_store, code)
    second = await _use(engine_store, code)
    assert (first.project_id, first.role) == (project.id, Role.ANNOTATOR)
    assert (first.uses_left, second.uses_left) == (1, 0)
    with pytest.raises(NotFound, match="used up"):
        await _use(engine_store, code)


async def test_an_invite_expires(engine_store: Store) -> None:
    _, code = await _invite(engine_store, expires_at=T0 + 60)
    assert (await _use(engine_store, code, T0 + 59)).code == code
    with pytest.raises(NotFound, match="expired"):
        await _use(engine_store, code, T0 + 61)


async def test_an_unlimited_invite_never_runs_out(engine_store: Store) -> None:
    _, code = await _invite(engine_store)
    for _ in range(5):
        assert (await _use(engine_store, code, T0 + 10**6)).uses_left is None


async def test_an_unknown_invite_code_is_not_found(engine_store: Store) -> None:
    await _invite(engine_store)
    with pytest.raises(NotFound, match="unknown"):
        await _use(engine_store, "ZZZZZZZZ")


async def test_an_invite_code_is_accepted_in_lower_case(engine_store: Store) -> None:
    _, code = await _invite(engine_store, uses=1)
    used = await _use(engine_store, f" {code.lower()} ")
    assert used.code == code


# --- work: assignment ----------------------------------------------------------------------


async def test_assign_never_hands_the_same_item_to_a_member_twice(engine_store: Store) -> None:
    w = await world(engine_store, n_target=5)
    got = await drain(engine_store, w, w.members[0])
    assert sorted(got) == ["x", "y", "z"]


async def test_a_second_assignment_for_the_same_item_and_member_is_impossible(
    engine: Engine, engine_store: Store
) -> None:
    w = await world(engine_store, ids=("x",), n_target=5)
    a = await lease(engine_store, w, w.members[0])
    assert a is not None
    with pytest.raises(engine.integrity_errors):
        async with engine_store.transaction() as tx:
            await engine.raw(
                tx,
                "INSERT INTO assignments (project_id, item_id, member_id, status, shown_at,"
                " expires_at) VALUES (?,?,?,'leased',?,?)",
                (w.project.id, a.item_id, a.member_id, T0, T0 + 1),
            )


async def test_the_lease_is_the_members_open_assignment(engine_store: Store) -> None:
    w = await world(engine_store)
    m = w.members[0]
    a = await lease(engine_store, w, m)
    assert a is not None and a.status == "leased" and not a.is_gold
    assert (a.shown_at, a.expires_at) == (T0, T0 + LEASE_S)
    async with engine_store.transaction() as tx:
        assert await tx.open_assignment(w.project.id, m.id) == a
        assert await tx.assignment(a.id) == a
        assert await tx.open_assignment(w.project.id, w.members[1].id) is None
        assert await tx.assignment(999_999) is None
    await answer(engine_store, a)
    async with engine_store.transaction() as tx:
        assert await tx.open_assignment(w.project.id, m.id) is None
        stored = await tx.assignment(a.id)
    assert stored is not None and stored.status == "answered"


async def test_assign_respects_the_items_target(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",), n_target=2, n_members=4)
    a, b, c = [await lease(engine_store, w, m) for m in w.members[:3]]
    assert a is not None and b is not None and c is None
    await answer(engine_store, a)
    assert await lease(engine_store, w, w.members[3]) is None
    async with engine_store.transaction() as tx:
        await tx.set_item_target(w.item_ids["x"], 3)
    assert await ext_id(engine_store, await lease(engine_store, w, w.members[3])) == "x"


async def test_assign_prefers_the_item_with_most_answers(engine_store: Store) -> None:
    w = await world(engine_store, n_target=3)
    first, second, third = w.members
    # first passes on x and y and answers z, the newest item
    for expected in ("x", "y"):
        a = await lease(engine_store, w, first)
        assert await ext_id(engine_store, a) == expected
        assert a is not None
        async with engine_store.transaction() as tx:
            await tx.release(a, "skipped")
    z = await lease(engine_store, w, first)
    assert await ext_id(engine_store, z) == "z"
    assert z is not None
    await answer(engine_store, z)
    # z has an answer, x and y none: the next members go to z first
    assert await ext_id(engine_store, await lease(engine_store, w, second)) == "z"
    assert await ext_id(engine_store, await lease(engine_store, w, third)) == "z"


@pytest.mark.parametrize("status", [BatchStatus.DRAFT, BatchStatus.PAUSED, BatchStatus.CLOSED])
async def test_assign_hands_out_only_published_batches(
    engine_store: Store, status: BatchStatus
) -> None:
    w = await world(engine_store, status=status, gold={"z": "pos"})
    m = w.members[0]
    assert await lease(engine_store, w, m) is None
    assert await lease(engine_store, w, m, gold=True) is None
    async with engine_store.transaction() as tx:
        await tx.set_batch_status(w.batch_id, BatchStatus.PUBLISHED)
    assert await lease(engine_store, w, m) is not None
    async with engine_store.transaction() as tx:
        await tx.set_batch_status(w.batch_id, status)
    assert await lease(engine_store, w, w.members[1]) is None


async def test_assign_hands_out_gold_only_when_asked(engine_store: Store) -> None:
    w = await world(
        engine_store, ids=("x", "g1", "g2"), n_target=2, gold={"g1": "pos", "g2": "neg"}
    )
    m = w.members[0]
    assert await drain(engine_store, w, m) == ["x"]
    golds = []
    while (a := await lease(engine_store, w, m, gold=True)) is not None:
        assert a.is_gold
        golds.append(await ext_id(engine_store, a))
        async with engine_store.transaction() as tx:
            await tx.record_answer(a, "pos", T0 + 1, a.item_id == w.item_ids["g1"])
    assert sorted(str(g) for g in golds) == ["g1", "g2"]
    other = await lease(engine_store, w, w.members[1])
    assert await ext_id(engine_store, other) == "x"


# --- work: answers, leases, releases -------------------------------------------------------


async def test_an_answer_is_stored_once_per_assignment(engine: Engine, engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",), n_target=3)
    a = await lease(engine_store, w, w.members[0])
    assert a is not None
    async with engine_store.transaction() as tx:
        saved = await tx.record_answer(a, "neg", T0 + 2.5, None)
    assert (saved.value, saved.time_ms, saved.at, saved.correct) == ("neg", 2500, T0 + 2.5, None)
    with pytest.raises((Conflict, *engine.integrity_errors)):
        async with engine_store.transaction() as tx:
            await tx.record_answer(a, "pos", T0 + 3, None)
    async with engine_store.transaction() as tx:
        assert await tx.answer_of(a.id) == saved
        assert await tx.item_answers(a.item_id) == [saved]
        assert (await tx.item(a.item_id)).n_answers == 1


async def test_reclaim_drops_expired_unanswered_leases(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",), n_target=1)
    first, second = w.members[:2]
    a = await lease(engine_store, w, first)
    assert a is not None
    assert await lease(engine_store, w, second) is None
    async with engine_store.transaction() as tx:
        assert await tx.reclaim_expired(w.project.id, T0 + LEASE_S - 1) == 0
    async with engine_store.transaction() as tx:
        assert await tx.reclaim_expired(w.project.id, T0 + LEASE_S + 1) == 1
        assert await tx.assignment(a.id) is None
        assert await tx.open_assignment(w.project.id, first.id) is None
    later = T0 + LEASE_S + 2
    b = await lease(engine_store, w, second, later)
    assert await ext_id(engine_store, b) == "x"


async def test_reclaim_frees_every_expired_lease_of_one_item(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",), n_target=2, n_members=3)
    first, second, third = w.members
    assert await lease(engine_store, w, first) is not None
    assert await lease(engine_store, w, second) is not None
    async with engine_store.transaction() as tx:
        assert await tx.reclaim_expired(w.project.id, T0 + LEASE_S + 1) == 2
    later = T0 + LEASE_S + 2
    # both slots are free again: two members can take the item
    assert await ext_id(engine_store, await lease(engine_store, w, third, later)) == "x"
    assert await ext_id(engine_store, await lease(engine_store, w, first, later)) == "x"


async def test_reclaim_never_drops_answered_leases(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",), n_target=1)
    a = await lease(engine_store, w, w.members[0])
    assert a is not None
    await answer(engine_store, a)
    async with engine_store.transaction() as tx:
        assert await tx.reclaim_expired(w.project.id, T0 + 10 * LEASE_S) == 0
        stored = await tx.assignment(a.id)
        assert stored is not None and stored.status == "answered"
        assert len(await tx.item_answers(a.item_id)) == 1
    assert await lease(engine_store, w, w.members[1], T0 + 10 * LEASE_S) is None


async def test_a_released_item_goes_to_others_but_never_back(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",), n_target=1)
    first, second, third = w.members
    a = await lease(engine_store, w, first)
    assert a is not None
    async with engine_store.transaction() as tx:
        await tx.release(a, "skipped")
        await tx.release(a, "skipped")  # a double tap frees the slot once
        released = await tx.assignment(a.id)
    assert released is not None and released.status == "skipped"
    assert await lease(engine_store, w, first) is None
    assert await ext_id(engine_store, await lease(engine_store, w, second)) == "x"
    assert await lease(engine_store, w, third) is None


async def test_releasing_an_answered_assignment_changes_nothing(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",), n_target=1)
    a = await lease(engine_store, w, w.members[0])
    assert a is not None
    await answer(engine_store, a)
    async with engine_store.transaction() as tx:
        await tx.release(a, "reported")
        stored = await tx.assignment(a.id)
    assert stored is not None and stored.status == "answered"
    assert await lease(engine_store, w, w.members[1]) is None


async def test_flags_are_counted_per_project(engine_store: Store) -> None:
    w = await world(engine_store)
    async with engine_store.transaction() as tx:
        first = await tx.add_flag(
            w.project.id, w.item_ids["x"], w.members[0].id, "unclear", "why", T0
        )
        second = await tx.add_flag(w.project.id, None, None, "other", "", T0)
        other = await tx.create_project(spec(name="q"), T0)
        assert second != first
        assert await tx.open_flags(w.project.id) == 2
        assert await tx.open_flags(other.id) == 0


# --- tokens --------------------------------------------------------------------------------


async def test_tokens_round_trip_and_unknown_ones_are_none(engine_store: Store) -> None:
    w = await world(engine_store, n_members=1)
    ref = {"assignment": 7, "index": 2, "note": "é"}
    async with engine_store.transaction() as tx:
        token = await tx.issue_token(w.members[0].id, "answer", ref, T0)
        again = await tx.issue_token(w.members[0].id, "answer", ref, T0)
    assert token != again
    assert 0 < len(token.encode()) <= 64
    async with engine_store.transaction() as tx:
        found = await tx.token(token)
        assert await tx.token("no-such-token") is None
    assert found is not None
    assert (found.token, found.member_id, found.kind, found.ref, found.created_at) == (
        token,
        w.members[0].id,
        "answer",
        ref,
        T0,
    )


# --- figures and export --------------------------------------------------------------------


async def test_member_and_project_stats_count_the_work(engine_store: Store) -> None:
    w = await world(
        engine_store, ids=("x", "y", "z", "g"), n_target=3, n_members=3, gold={"g": "pos"}
    )
    first, second, third = w.members
    project_id = w.project.id
    for now, member in ((T0, first), (T0 + 100, first)):
        a = await lease(engine_store, w, member, now)
        assert a is not None
        await answer(engine_store, a, now=now + 1)
    skipped = await lease(engine_store, w, first, T0 + 200)
    assert skipped is not None
    async with engine_store.transaction() as tx:
        await tx.release(skipped, "skipped")
    g1 = await lease(engine_store, w, first, T0 + 300, gold=True)
    g2 = await lease(engine_store, w, second, T0 + 300, gold=True)
    assert g1 is not None and g2 is not None
    async with engine_store.transaction() as tx:
        await tx.record_answer(g1, "pos", T0 + 301, True)
        await tx.record_answer(g2, "neg", T0 + 301, False)
        await tx.set_item_outcome(
            w.item_ids["x"],
            "done",
            Result(item_id=w.item_ids["x"], label="pos", confidence=1.0, method="majority"),
            T0,
        )
        await tx.set_item_outcome(w.item_ids["y"], "disputed", None, T0)
    async with engine_store.transaction() as tx:
        mine = await tx.member_stats(project_id, first.id, since=T0 + 50)
        theirs = await tx.member_stats(project_id, second.id, since=0)
        idle = await tx.member_stats(project_id, third.id, since=0)
        everyone = await tx.all_member_stats(project_id)
        project = await tx.project_stats(project_id)
    assert (mine.answers, mine.answers_since, mine.skipped) == (3, 2, 1)
    assert (mine.gold_total, mine.gold_correct) == (1, 1)
    assert (theirs.answers, theirs.gold_total, theirs.gold_correct) == (1, 1, 0)
    assert idle.answers == 0
    assert set(everyone) == {first.pseudonym, second.pseudonym, third.pseudonym}
    assert everyone[first.pseudonym].answers == 3
    assert everyone[second.pseudonym].gold_correct == 0
    assert (project.items, project.gold_items, project.done, project.disputed) == (3, 1, 1, 1)
    assert (project.answers, project.members) == (4, 3)


async def test_export_rows_hold_every_item_with_answers_under_pseudonyms(
    engine_store: Store,
) -> None:
    w = await world(engine_store, ids=("x", "y", "g"), n_target=2, gold={"g": "neg"})
    first, second, _ = w.members
    for member in (first, second):
        a = await lease(engine_store, w, member)
        assert a is not None
        await answer(engine_store, a, "pos" if member is first else "neg", T0 + 2)
    g = await lease(engine_store, w, first, gold=True)
    assert g is not None
    async with engine_store.transaction() as tx:
        await tx.record_answer(g, "neg", T0 + 3, True)
        result = Result(item_id=w.item_ids["x"], label="pos", confidence=0.5, method="majority")
        await tx.set_item_outcome(w.item_ids["x"], "open", result, T0 + 4)
    async with engine_store.transaction() as tx:
        rows = [row async for row in tx.export_rows(w.project.id)]
    assert [r.item.ext_id for r in rows] == ["x", "y", "g"]
    by_id = {r.item.ext_id: r for r in rows}
    assert [(a.annotator, a.label) for a in by_id["x"].answers] == [
        (first.pseudonym, "pos"),
        (second.pseudonym, "neg"),
    ]
    assert by_id["x"].answers[0].time_ms == 2000 and by_id["x"].answers[0].at == T0 + 2
    assert by_id["x"].result == result
    assert by_id["y"].answers == [] and by_id["y"].result is None
    assert by_id["g"].item.gold == "neg"
    assert [a.annotator for a in by_id["g"].answers] == [first.pseudonym]
    user_ids = {f"user-{n}" for n in range(3)} | {m.name for m in w.members}
    for row in rows:
        for exported in row.answers:
            assert exported.annotator not in user_ids
            assert not any(u in exported.annotator for u in user_ids)


async def test_a_member_holds_at_most_one_open_lease_per_project(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x", "y"), n_target=3, n_members=1)
    first = await lease(engine_store, w, w.members[0])
    assert first is not None
    with pytest.raises(Conflict):
        await lease(engine_store, w, w.members[0])
    await answer(engine_store, first)
    assert await lease(engine_store, w, w.members[0]) is not None
