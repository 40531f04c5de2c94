"""What asking for work finds: a lease that ran out between sweeps, a qualification with no
questions to ask, a qualification question held for the whole lease, and someone who is not
an annotator in the project."""

from __future__ import annotations

from adapters.console.recorder import Person, Recorder
from bot.chat.markup import plain
from bot.core import SWEEP_SECONDS
from domain.enums import Role
from storage.contract import Store
from tests.conftest import Clock
from tests.e2e.test_quality_loop import MakeProject, on_screen, shown_item

LEASE_S = 30 * 60


def text(person: Person) -> str:
    return plain(person.chat.last().text)  # type: ignore[union-attr]


async def test_a_lease_that_ran_out_since_the_last_sweep_is_found_when_nothing_else_is(
    recorder: Recorder, make_project: MakeProject, clock: Clock
) -> None:
    code = await make_project(items=1, overlap=1)
    ann, bob, cat = recorder.person("ann"), recorder.person("bob"), recorder.person("cat")
    await ann.command("start", code)
    clock.advance(LEASE_S + 60)
    await cat.command("help")  # this event sweeps; the next, within the sweep interval, does not
    clock.advance(SWEEP_SECONDS / 2)
    await bob.command("start", code)
    assert shown_item(bob) == "item number 0"


async def test_a_lease_lasts_lease_minutes_not_a_moment_more(
    recorder: Recorder, make_project: MakeProject, clock: Clock
) -> None:
    code = await make_project(items=1, overlap=1)
    ann, bob = recorder.person("ann"), recorder.person("bob")
    await ann.command("start", code)
    await bob.command("start", code)
    clock.advance(LEASE_S - 5)
    await bob.command("next")
    assert "No tasks for you right now" in text(bob)
    clock.advance(10)
    await bob.command("next")
    assert shown_item(bob) == "item number 0"


async def test_a_qualification_without_questions_says_it_is_not_ready(
    recorder: Recorder, make_project: MakeProject
) -> None:
    code = await make_project(items=5, extra="qualification = 3")
    ann = recorder.person("ann")
    await ann.command("start", code)
    assert text(ann).endswith(
        "The qualification test for Test sentiment is not ready yet (it needs more control "
        "questions). Please try again later."
    )


async def test_a_qualification_question_is_held_for_the_whole_lease(
    recorder: Recorder, make_project: MakeProject, clock: Clock
) -> None:
    code = await make_project(items=8, gold_every=4, extra="qualification = 2")
    ann = recorder.person("ann")
    await ann.command("start", code)
    clock.advance(LEASE_S - 60)
    await recorder.person("bob").command("start", code)  # asking for work sweeps out old leases
    await ann.tap("pos")
    assert "Right: pos" in text(ann) and "Qualification: 1 to go" in text(ann)


async def test_someone_without_an_annotator_role_is_told_so(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    await make_project(items=3, overlap=1)
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        invite = await tx.create_invite(project.id, Role.QA, None, None, clock())
    quinn = recorder.person("quinn")
    await quinn.command("start", invite.code)
    await quinn.command("next")
    assert text(quinn) == "You are not an annotator in Test sentiment."
    assert on_screen(quinn) == []


async def test_a_qualification_question_is_given_up_once_its_lease_ran_out(
    recorder: Recorder, make_project: MakeProject, clock: Clock
) -> None:
    code = await make_project(items=8, gold_every=4, extra="qualification = 2")
    ann = recorder.person("ann")
    await ann.command("start", code)
    clock.advance(LEASE_S + 20)
    await recorder.person("bob").command("start", code)
    refused = await ann.tap("pos")
    assert [getattr(a, "text", "") for a in refused] == ["This task is no longer yours."]
