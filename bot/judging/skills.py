"""The project's skill model in the live path: estimated from the stored answers, read back for
routing and stopping, and the batch's final aggregation on the same model.

Only projects that route by skill (``[quality] routing = "skill"``) with a categorical task type
have one. The model is derived state (`bot.quality.skills`): the scheduler's ``skills`` job
re-estimates it, Dawid-Skene to convergence over every counted answer with the gold items
clamped, whenever answers changed since the last estimate, so the answer path itself never
runs EM. Until the first estimate everyone is at the prior. Qualification and suspension keep
reading gold accuracy alone (`bot.judging.judge`): they judge a person against known answers,
which the crowd's own consensus must not move.

When a batch closes, and on demand (``tapmark aggregate``), every settled item's result is
recomputed by Dawid-Skene over the whole project (``FINAL_MODEL``, gold clamped), with its
confidence; results QA decided are left as they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np

from bot.judging.verdicts import SKILL_METHOD
from bot.quality.skills import SkillModel, estimate, final_results, live_settings
from domain.entities import Project, Result
from domain.enums import ItemStatus
from storage.contract import Store, Tx
from storage.rows import StoredSkills
from tasks import task_type

FINAL_METHOD = "dawid_skene"
AUTOMATIC = frozenset({"gold_weighted_posterior", SKILL_METHOD, FINAL_METHOD})
"""Result methods the aggregation wrote (not QA): the ones a final aggregation may replace."""


def skill_classes(project: Project) -> list[str] | None:
    """The project's classes when its task type gives one class per answer (what Dawid-Skene
    models), else None."""
    kind = task_type(project.spec.task)
    return kind.classes(project.spec, {}) if kind.aggregation == "categorical" else None


def skill_labels(project: Project) -> list[str] | None:
    """The classes the project's skill model is over, or None when it does not route by skill
    (arrival routing, or a task type whose answers are not one class)."""
    return skill_classes(project) if project.spec.quality.routing == "skill" else None


async def load_skills(tx: Tx, project: Project, member_ids: Sequence[int]) -> SkillModel | None:
    """The project's skill model with these members' rows (everyone else at the prior), or
    None when it does not route by skill."""
    labels = skill_labels(project)
    if labels is None:
        return None
    return skill_model(labels, await tx.skill_model(project.id, member_ids))


def skill_model(labels: list[str], stored: StoredSkills | None) -> SkillModel:
    """The model of the stored rows over `labels`; a stored model over other classes (the
    labels changed since) counts as none yet."""
    if stored is None or stored.labels != labels:
        return SkillModel.empty(labels)
    return SkillModel(
        tuple(labels),
        np.asarray(stored.class_prior, dtype=np.float64),
        {m: np.asarray(c, dtype=np.float64) for m, c in stored.counts.items()},
        dict(stored.gold_answers),
        live_settings(len(labels)),
    )


async def refresh_skills(store: Store, project: Project, now: float) -> int:
    """Re-estimate the project's skill model if answers changed since the stored one (warm,
    from the stored one: `bot.quality.skills.estimate`); 1 if it did, else 0. The answers are
    read in one transaction and the model written in another: EM runs between them in a
    thread, holding no lock and not the event loop (SQLite's single writer and the bot go on
    serving answers)."""
    labels = skill_labels(project)
    if labels is None:
        return 0
    async with store.transaction() as tx:
        answers, last = await tx.skill_stamp(project.id)
        head = await tx.skill_model(project.id, ())
        if (
            head is not None
            and head.labels == labels
            and (head.answers, head.last_answer) == (answers, last)
        ):
            return 0
        rows = await tx.skill_answers(project.id)
        members = sorted({r[1] for r in rows})
        stored = None if head is None else await tx.skill_model(project.id, members)
    previous = None if stored is None or stored.labels != labels else skill_model(labels, stored)
    model = await asyncio.to_thread(estimate, labels, rows, previous)
    async with store.transaction() as tx:
        await tx.save_skill_model(
            project.id,
            StoredSkills(
                labels=list(labels),
                class_prior=[float(p) for p in model.class_prior],
                answers=answers,
                last_answer=last,
                refreshed_at=now,
                counts={m: np.asarray(c).tolist() for m, c in model.counts.items()},
                gold_answers=dict(model.gold_answers),
            ),
        )
    return 1


async def aggregate(tx: Tx, project: Project, now: float, batch_id: int | None = None) -> int:
    """Recompute the results of the project's settled (done or disputed) items, those of one
    batch when `batch_id` is given, by Dawid-Skene over all the project's answers; QA's
    results stay. How many results were written."""
    labels = skill_classes(project)
    if labels is None:
        return 0
    finals = final_results(labels, await tx.skill_answers(project.id))
    settled = []
    async for row in tx.export_rows(project.id):
        item, current = row.item, row.result
        if (
            item.id in finals
            and (batch_id is None or item.batch_id == batch_id)
            and item.status in (ItemStatus.DONE, ItemStatus.DISPUTED)
            and (current is None or current.method in AUTOMATIC)
        ):
            settled.append((item.id, item.status))
    for item_id, status in settled:
        label, confidence = finals[item_id]
        result = Result(item_id=item_id, label=label, confidence=confidence, method=FINAL_METHOD)
        await tx.set_item_outcome(item_id, status, result, now)
    return len(settled)
