"""Manager operations of the command line: projects, batch imports, invites, retries, forgetting.

Each runs in one transaction: a batch is imported whole or not at all. Their audit entries say
``via: cli``. (Steering batches and members is shared with the chat: `bot.managing.batches`,
`bot.managing.commands`.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import PurePath

from bot.judging.outcome import reopen_for
from bot.labeling.waiting import wake_freed
from bot.managing.projectfile import ProjectFile
from bot.media.importing import Source, load_batch
from bot.media.store import MediaStore
from bot.timekeeping import parse_deadline
from domain.entities import Batch, Invite, Project
from domain.enums import BatchStatus, Qualification, Role
from storage.contract import Conflict, NotFound, Store, StoreError, Tx
from tasks.regions.formats import Role as RegionRole
from tasks.values import BatchLimits


@dataclass(frozen=True, slots=True)
class ImportSummary:
    batch: Batch
    items: int
    gold: int
    label_counts: dict[str, int]


async def require_project(tx: Tx, name: str) -> Project:
    project = await tx.project_by_name(name)
    if project is None:
        known = ", ".join(p.name for p in await tx.projects()) or "none yet"
        raise NotFound(f"no project named {name!r} (projects: {known})")
    return project


async def save_project(store: Store, pf: ProjectFile, update: bool) -> tuple[Project, bool]:
    """Create the project, or update it when `update`; returns it and whether it was created."""
    now = time.time()
    async with store.transaction() as tx:
        existing = await tx.project_by_name(pf.spec.name)
        if existing is not None and update:
            project = await tx.update_project(pf.spec, now)
            created = False
        else:
            project = await tx.create_project(pf.spec, now)
            created = True
        current = await tx.guideline(project.id)
        if pf.guideline is not None and (current is None or current.body != pf.guideline):
            await tx.add_guideline(project.id, pf.guideline, now)
        await tx.audit(project.id, None, "project.save", {"created": created, "via": "cli"}, now)
    return project, created


async def import_batch(
    store: Store,
    project_name: str,
    filename: str,
    content: bytes,
    publish: bool,
    batch_name: str | None = None,
    deadline: str | None = None,
    media: MediaStore | None = None,
    source: Source | None = None,
    limits: BatchLimits | None = None,
    regions_as: RegionRole = "regions",
) -> ImportSummary:
    """Check a batch file whole, then add all its items in one transaction (or none).
    `regions_as` says what a region dataset's regions are: pre-annotations or gold.

    ``deadline`` is a date as people type it, read in the project's time zone. Media the rows
    name are prepared first (see `bot.media.importing`; `source` says where file paths start and
    how URLs are fetched), outside the transaction, which downloads must not hold open; their
    new files are put in place only once the batch is stored."""
    now = time.time()
    async with store.transaction() as tx:
        project = await require_project(tx, project_name)
    due = None
    if deadline is not None:
        try:
            due = parse_deadline(deadline, project.spec.timezone)
        except ValueError as exc:
            raise StoreError(f"--deadline: {exc}") from None
    loaded = await load_batch(filename, content, project.spec, media, source, limits, regions_as)
    try:
        async with store.transaction() as tx:
            name = batch_name or PurePath(filename).stem
            status = BatchStatus.PUBLISHED if publish else BatchStatus.DRAFT
            n_target = project.spec.quality.min_overlap
            await loaded.check_ids(tx, project.id)
            batch = await tx.create_batch(project.id, name, [], status, n_target, now)
            await loaded.add_to(tx, batch, n_target)
            if due is not None:
                await tx.set_batch_deadline(batch.id, due)
                batch = batch.model_copy(update={"deadline": due})
            await tx.audit(
                project.id,
                None,
                "batch.import",
                {
                    "batch": batch.name,
                    "items": loaded.count,
                    "published": publish,
                    "deadline": due,
                    "via": "cli",
                },
                now,
            )
            await wake_freed(tx, now)
    except BaseException:
        await loaded.discard()
        raise
    await loaded.publish()
    return ImportSummary(
        batch=batch,
        items=loaded.count,
        gold=sum(loaded.gold.values()),
        label_counts=dict(loaded.gold),
    )


async def allow_retry(
    store: Store, project_name: str, pseudonym: str, now: float | None = None
) -> None:
    """Let an annotator who failed the qualification take it again (with questions they have
    not seen yet); only gold answered from `now` on (default: the present) counts for it."""
    now = time.time() if now is None else now
    async with store.transaction() as tx:
        project = await require_project(tx, project_name)
        member = await tx.member_by_pseudonym(pseudonym)
        role = None if member is None else await tx.annotator_role(project.id, member.id)
        if member is None or role is None:
            raise NotFound(f"no annotator {pseudonym!r} in {project_name!r}")
        if role.qualification != Qualification.FAILED:
            raise Conflict(
                f"{pseudonym} has not failed the qualification (it is {role.qualification})"
            )
        await tx.set_qualification(project.id, member.id, Qualification.PENDING, now)
        await reopen_for(tx, project, member.id)
        await tx.audit(project.id, member.id, "qualification.retry", {"via": "cli"}, now)


async def forget(store: Store, pseudonym: str) -> None:
    """Erase a person's identities and name everywhere; their answers stay, pseudonymous."""
    now = time.time()
    async with store.transaction() as tx:
        member = await tx.member_by_pseudonym(pseudonym)
        if member is None:
            raise NotFound(f"no member {pseudonym!r}")
        await tx.forget_member(member.id)
        await tx.audit(None, member.id, "forget", {"via": "cli"}, now)


def invite_uses(role: Role, uses: int | None) -> int | None:
    """How many people an invite admits: as asked, else one for a manager invite (a code
    passed on by mistake should not make managers of everyone who has it) and any number for
    the other roles."""
    if uses is not None:
        return uses
    return 1 if role == Role.MANAGER else None


def invite_lines(code: str, telegram_bot: str | None) -> list[str]:
    """How people use an invite code on each platform: the Telegram link when the bot's
    username is known (TAPMARK_TELEGRAM_BOT_NAME), else the command to send it."""
    telegram = (
        f"Telegram: https://t.me/{telegram_bot}?start={code} (or send /start {code} to "
        f"@{telegram_bot})"
        if telegram_bot
        else f"Telegram: send /start {code} to the bot (set TAPMARK_TELEGRAM_BOT_NAME for a link)"
    )
    return [telegram, f"Slack: /tapmark start {code}"]


async def make_invite(
    store: Store, project_name: str, role: Role, uses: int | None, expires_days: float | None
) -> Invite:
    """An invite for `role` from the command line; `uses` None means the role's default
    (`invite_uses`)."""
    now = time.time()
    expires_at = None if expires_days is None else now + expires_days * 86_400
    uses = invite_uses(role, uses)
    async with store.transaction() as tx:
        project = await require_project(tx, project_name)
        invite = await tx.create_invite(project.id, role, uses, expires_at, now)
        await tx.audit(
            project.id, None, "invite.create", {"role": role.value, "uses": uses, "via": "cli"}, now
        )
    return invite
