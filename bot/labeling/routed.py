"""Skill routing in the assignment path: which open item a person asking for work gets.

With ``[quality] routing = "skill"`` (categorical task types), a person asking for real work
is offered a bounded list of the items they may take, the `NEAREST` with most answers and
`FRESHEST` with none yet, ordered by `bot.quality.routing.offer_order` on the project's skill
model (`bot.judging.skills`): a strong annotator gets the items still uncertain, a weak or new
one the nearly done or fresh ones, where a wrong answer costs least. Someone whose skill is
still unknown (fewer than `known_after` gold answers) gets a gold question first when the
project has any. With the project's ``exploration`` rate a pick ignores the estimates. Someone
a wake told about work gets the item the wake promised them before anything else, exploration
included: `Tx.wake_waiting` counts that slot as theirs, so nobody else was told about it (when
they take other work after all, `Tx.stop_waiting` passes the slot on to whoever waits).

The first `TRIES` choices are leased one by one (on PostgreSQL an item another transaction
holds is passed over); when none can be, or routing is off, the caller leases in arrival
order as without routing. So everything arrival guarantees still holds: distinct annotators,
overlap limits, the same locks, and work for whoever asks while any is open to them.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.judging.skills import skill_labels, skill_model
from bot.quality.overlap import OverlapPolicy
from bot.quality.routing import Candidate, Person, RoutingSettings, offer_order
from domain.entities import Assignment, Member, Project
from storage.contract import Tx

NEAREST = 8
FRESHEST = 2
TRIES = 4


async def routed_lease(
    ctx: Ctx, member: Member, project: Project, lease_s: float, *, wait: bool = True
) -> Assignment | None:
    """A lease chosen by skill, or None when routing is off, skipped this time (exploration)
    or found nothing it could lease (see the module docstring)."""
    q = project.spec.quality
    labels = skill_labels(project)
    if labels is None:
        return None
    explore = q.exploration > 0 and ctx.rng.random() < q.exploration
    tx = ctx.tx
    view = await tx.route_candidates(project.id, member.id, NEAREST, FRESHEST, ctx.now)
    if view.promised is not None:
        kept = await tx.lease_item(project.id, member.id, view.promised, ctx.now, lease_s)
        if kept is not None:
            return kept
    found = [c for c in view.candidates if c.item_id != view.promised]
    if explore or not found:
        return None
    model = skill_model(labels, view.skills)
    settings = RoutingSettings(exploration=q.exploration)
    gold_answers = model.gold_answers.get(member.id, 0)
    if q.gold_rate > 0 and gold_answers < settings.known_after:
        gold_answers = (await tx.gold_counts(project.id, [member.id]))[member.id].total
        if gold_answers < settings.known_after:
            gold = await tx.assign(project.id, member.id, True, ctx.now, lease_s, wait=wait)
            if gold is not None:
                return gold
    posteriors = model.posteriors([c.answers for c in found])
    order = offer_order(
        Person(model.confusion(member.id), gold_answers),
        [
            Candidate(
                item=c.item_id,
                posterior=post,
                answers=c.n_answers,
                limit=c.n_target,
                leased=c.n_load - c.n_answers,
            )
            for c, post in zip(found, posteriors, strict=True)
        ],
        OverlapPolicy(q.min_overlap, q.max_overlap, q.confidence),
        settings,
    )
    return await _first_free(tx, project, member, order[:TRIES], ctx.now, lease_s)


async def _first_free(
    tx: Tx, project: Project, member: Member, order: list[int], now: float, lease_s: float
) -> Assignment | None:
    for item_id in order:
        lease = await tx.lease_item(project.id, member.id, item_id, now, lease_s)
        if lease is not None:
            return lease
    return None
