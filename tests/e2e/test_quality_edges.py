"""Quality rules at their edges: the qualification bar met exactly, a retry counted from its
start, a pass on a wrong last answer, what the audit log keeps of a verdict and a suspension,
a suspended person's held task going to someone else, and the behaviour flags' thresholds."""

from __future__ import annotations

from adapters.console.recorder import Person, Recorder
from bot.chat.markup import plain
from bot.managing.operations import allow_retry
from domain.entities import AuditEntry
from domain.enums import Role
from storage.contract import Store
from tests.conftest import Clock, raw
from tests.e2e.test_quality_loop import MakeProject, answer_gold, flags, on_screen, shown_item


def text_of(person: Person) -> str:
    assert person.screen is not None
    return plain(person.screen.text)


async def audit(store: Store) -> list[AuditEntry]:
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        return [e async for e in tx.audit_log(project.id)]


async def pseudonym(store: Store, name: str) -> str:
    async with store.transaction() as tx:
        member = await tx.member_by_identity("console", name)
        assert member is not None
        return member.pseudonym


async def take_qualification(person: Person, answers: list[str], clock: Clock) -> list[str]:
    texts = []
    for label in answers:
        if on_screen(person) == ["Next task"]:
            await person.tap("Next task")
        clock.advance(5)
        texts.append(await answer_gold(person, label))
    return texts


async def test_seven_of_ten_meets_a_bar_of_seventy_percent_and_the_audit_log_says_so(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=48, gold_every=4, extra="qualification = 10")
    ann = recorder.person("ann")
    await ann.command("start", code)
    texts = await take_qualification(ann, ["neg"] * 3 + ["pos"] * 7, clock)
    assert "You passed the qualification (7 of 10 right)" in texts[-1]
    entries = [e for e in await audit(store) if e.action == "qualification"]
    assert [(e.who, e.details) for e in entries] == [
        (await pseudonym(store, "ann"), {"correct": 7, "total": 10, "passed": True})
    ]


async def test_two_of_three_is_under_the_bar(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=20, gold_every=4, extra="qualification = 3")
    bob = recorder.person("bob")
    await bob.command("start", code)
    texts = await take_qualification(bob, ["pos", "neg", "pos"], clock)
    assert "Qualification not passed (2 of 3 right; the bar is 70%)" in texts[-1]
    entries = [e for e in await audit(store) if e.action == "qualification"]
    assert [e.details for e in entries] == [{"correct": 2, "total": 3, "passed": False}]


async def test_a_retry_counts_only_the_answers_since_it_was_allowed(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=40, gold_every=4, extra="qualification = 3")
    bob = recorder.person("bob")
    await bob.command("start", code)
    texts = await take_qualification(bob, ["neg"] * 3, clock)
    assert "Qualification not passed (0 of 3 right" in texts[-1]
    clock.advance(60)
    await allow_retry(store, "t", await pseudonym(store, "bob"), now=clock())
    await bob.command("next")
    texts = await take_qualification(bob, ["pos"] * 3, clock)
    assert "You passed the qualification (3 of 3 right)" in texts[-1]


async def test_a_pass_on_a_wrong_last_answer_shows_the_feedback_with_a_next_button(
    recorder: Recorder, make_project: MakeProject, clock: Clock
) -> None:
    code = await make_project(items=24, gold_every=4, extra="qualification = 4")
    ann = recorder.person("ann")
    await ann.command("start", code)
    texts = await take_qualification(ann, ["pos", "pos", "pos", "neg"], clock)
    assert "Not quite: this one is pos" in texts[-1]
    assert "You passed the qualification (3 of 4 right)" in texts[-1]
    assert "item number" not in texts[-1]
    assert on_screen(ann) == ["Next task"]
    await ann.tap("Next task")
    assert on_screen(ann)[:3] == ["pos", "neg", "neu"]


async def test_a_manager_suspending_someone_frees_the_task_they_hold(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=1, overlap=1)
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        invite = await tx.create_invite(project.id, Role.MANAGER, None, None, clock())
    boss = recorder.person("boss")
    await boss.command("start", invite.code)
    eve = recorder.person("eve")
    await eve.command("start", code)
    assert shown_item(eve) == "item number 0"
    fay = recorder.person("fay")
    await fay.command("start", code)
    assert "No tasks" in text_of(fay)
    await boss.command("members")
    listing = plain(boss.chat.last().text).splitlines()  # type: ignore[union-attr]
    row = next(line.split(".")[0] for line in listing if line.split(". ", 1)[-1].startswith("eve"))
    await boss.command("suspend", row.strip())
    assert "is suspended" in plain(boss.chat.last().text)  # type: ignore[union-attr]
    await fay.command("next")
    assert shown_item(fay) == "item number 0"
    await fay.tap("pos")
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        rows = [r async for r in tx.export_rows(project.id)]
    assert [[a.annotator for a in r.answers] for r in rows] == [[await pseudonym(store, "fay")]]
    entries = [e for e in await audit(store) if e.action == "suspend"]
    assert [(e.who, e.details) for e in entries] == [
        (
            await pseudonym(store, "eve"),
            {"evidence": "suspended by a manager", "items_reopened": 0},
        )
    ]
    async with store.transaction() as tx:
        eve_member = await tx.member_by_identity("console", "eve")
        found = await raw(tx, "SELECT kind, member_id FROM flags WHERE kind = 'suspended'")
    assert [(r[0], r[1]) for r in found] == [("suspended", eve_member.id)]  # type: ignore[union-attr]


async def test_a_suspension_by_gold_records_how_many_items_reopened(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=60, gold_every=2, gold_rate=0.5, overlap=1)
    eve = recorder.person("eve")
    await eve.command("start", code)
    real = 0
    while "paused" not in text_of(eve):
        if on_screen(eve) == ["Next task"]:
            await eve.tap("Next task")
            continue
        clock.advance(5)
        if int(shown_item(eve).split()[-1]) % 2:
            real += 1
        await eve.tap("neg")
    entries = [e for e in await audit(store) if e.action == "suspend"]
    assert len(entries) == 1 and entries[0].details["items_reopened"] == real > 0
    assert entries[0].details["evidence"].startswith("gold 0 of 5 right")


async def member_flags(store: Store) -> list[tuple[str, str]]:
    return [f for f in await flags(store) if f[0] in ("too_fast", "same_label", "many_skips")]


async def answer_timed(person: Person, clock: Clock, seconds: list[float]) -> None:
    for i, s in enumerate(seconds):
        clock.advance(s)
        await person.tap("pos" if i % 2 else "neg")


async def test_half_of_ten_answers_too_fast_is_flagged_at_the_tenth(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=40, overlap=1)
    gus = recorder.person("gus")
    await gus.command("start", code)
    await answer_timed(gus, clock, [0.5] * 5 + [10.0] * 5)
    assert await member_flags(store) == [("too_fast", "5 of the last 10 answers took under 2 s")]


async def test_an_answer_of_exactly_the_minimum_time_is_not_too_fast(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=40, overlap=1)
    gus = recorder.person("gus")
    await gus.command("start", code)
    await answer_timed(gus, clock, [0.5] * 4 + [2.0] + [10.0] * 5)
    assert await member_flags(store) == []


async def test_ten_skips_beside_ten_answers_are_flagged_beside_eleven_are_not(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=60, overlap=1)
    hal, ian = recorder.person("hal"), recorder.person("ian")
    await hal.command("start", code)
    await answer_timed(hal, clock, [10.0] * 10)
    for _ in range(10):
        await hal.tap("Skip")
    assert await member_flags(store) == [("many_skips", "skipped 10 of 20 tasks")]
    await ian.command("start", code)
    await answer_timed(ian, clock, [10.0] * 11)
    for _ in range(10):
        await ian.tap("Skip")
    assert len(await member_flags(store)) == 1
