"""QA sends a flagged item back to the annotators who answered it.

QA types a comment; each of them gets the item, their answer and the comment in their own chat,
with a button per label to relabel and *Keep my answer* (then they type why). The flag leaves the
review queue while it waits; the first reply puts it back, with the thread, and the reviewer who
sent it is told. A relabel changes the annotator's answer and the item is judged again.
"""

from __future__ import annotations

from bot.access import NOT_REVIEWER, can_review, still_annotating
from bot.chat.actions import Button, Screen, Toast
from bot.chat.buttons import button_token
from bot.chat.events import Tap
from bot.chat.markup import escape
from bot.chat.outbox import notify
from bot.context import Ctx, show
from bot.judging.outcome import judge_item
from bot.routing import ask_reply, issue_button
from domain.entities import Answer, Flag, Item, Member, Project
from domain.enums import FlagStatus
from domain.tokens import KeepReason, SendBackComment, SentBack
from tasks import tap_choices, task_type
from tasks.base import item_body

KEEP = "k"
COMMENT_LIMIT = 1000


async def ask_comment(ctx: Ctx, tap: Tap, flag: Flag) -> None:
    """After *Send back*: QA's next message is the comment."""
    if flag.item_id is None:
        ctx.actions.append(Toast(tap, "This flag has no item to send back."))
        return
    item = await ctx.tx.item(flag.item_id)
    if item.gold is not None:
        ctx.actions.append(Toast(tap, "Gold questions are not sent back; use Ping."))
        return
    if not await _answers(ctx, item):
        ctx.actions.append(Toast(tap, "Nobody has answered this item yet."))
        return
    assert ctx.member is not None
    await ask_reply(ctx.tx, ctx.member.id, SendBackComment(flag.id))
    show(
        ctx,
        tap,
        Screen(
            text="Type the comment for the annotators in one message. They see "
            "the item, their answer and your comment, and can relabel it "
            "or keep their answer and say why."
        ),
    )


async def on_comment_text(ctx: Ctx, member: Member, reply: SendBackComment, text: str) -> None:
    flag_id = reply.flag_id
    tx = ctx.tx
    assert ctx.member is not None
    await ask_reply(tx, ctx.member.id, None)
    flag = await tx.flag(flag_id)
    if flag is None or flag.item_id is None or flag.status != FlagStatus.OPEN:
        ctx.say("That flag is closed now; nothing was sent.")
        return
    project = await tx.project(flag.project_id)
    if not await can_review(ctx, project):
        ctx.say(NOT_REVIEWER)
        return
    item = await tx.item(flag.item_id)
    comment = text.strip()[:COMMENT_LIMIT]
    answers = await _answers(ctx, item)
    for answer in answers:
        card = await _card(ctx, project, flag.id, item, answer, comment)
        await notify(tx, answer.member_id, card, ctx.now)
    await tx.add_flag_note(flag.id, ctx.member.id, "sent_back", comment, ctx.now)
    await tx.set_flag_waiting(flag.id, ctx.now)
    await tx.audit(
        project.id,
        ctx.member.id,
        "review.send_back",
        {"flag": flag.id, "annotators": len(answers)},
        ctx.now,
    )
    people = f"{len(answers)} annotator{'s' if len(answers) != 1 else ''}"
    ctx.say(f"Sent back to {people}. The flag returns to /review with their replies.")


async def on_back_tap(ctx: Ctx, tap: Tap, member: Member, card: SentBack, code: str) -> None:
    """An annotator's Relabel or Keep on an item QA sent back."""
    flag_id, answer_id = card.flag_id, card.answer_id
    tx = ctx.tx
    flag = await tx.flag(flag_id)
    if flag is None or flag.item_id is None or flag.status != FlagStatus.OPEN:
        ctx.actions.append(Toast(tap, "QA has closed this one already."))
        show(ctx, tap, Screen(text="QA has closed this item; nothing to do."))
        return
    answer = next((a for a in await tx.item_answers(flag.item_id) if a.id == answer_id), None)
    assert ctx.member is not None
    if answer is None or answer.member_id != ctx.member.id:
        ctx.actions.append(Toast(tap, "That button is not valid."))
        return
    if await _replied(ctx, flag):
        ctx.actions.append(Toast(tap, "You have answered QA on this one already."))
        return
    project = await tx.project(flag.project_id)
    if not await still_annotating(ctx, tap, project):
        return
    if code == KEEP:
        await ask_reply(tx, ctx.member.id, KeepReason(flag.id))
        ctx.actions.append(Toast(tap, "OK"))
        show(ctx, tap, Screen(text="Tell QA in one message why you keep your answer."))
        return
    item = await tx.item(flag.item_id)
    kind = task_type(project.spec.task)
    choices = tap_choices(project.spec, kind.render(project.spec, item.data))
    if not (code.startswith("l") and code[1:].isdigit() and int(code[1:]) < len(choices)):
        ctx.actions.append(Toast(tap, "That button is not valid."))
        return
    value = choices[int(code[1:])][1]
    before = answer.value
    if value != before:
        await tx.relabel_answer(answer.id, value)
        await judge_item(tx, project, item, ctx.now)
    was, now = kind.describe(project.spec, before), kind.describe(project.spec, value)
    body = f"{was} → {now}" if value != before else f"kept {now}"
    await _reply(ctx, flag, project, "relabelled" if value != before else "kept", body)
    ctx.actions.append(Toast(tap, f"Changed to {now}" if value != before else "Kept"))
    show(ctx, tap, Screen(text=f"Thanks. Your answer is now *{escape(now)}*; QA is told."))


async def on_keep_text(ctx: Ctx, member: Member, reply: KeepReason, text: str) -> None:
    """Why the annotator keeps their answer: into the flag's thread, and QA is told."""
    flag_id = reply.flag_id
    tx = ctx.tx
    assert ctx.member is not None
    await ask_reply(tx, ctx.member.id, None)
    flag = await tx.flag(flag_id)
    if flag is None or flag.status != FlagStatus.OPEN:
        ctx.say("QA has closed this one already; nothing was sent.")
        return
    if await _replied(ctx, flag):
        ctx.say("You have answered QA on this one already.")
        return
    project = await tx.project(flag.project_id)
    await _reply(ctx, flag, project, "kept", text.strip()[:COMMENT_LIMIT])
    ctx.say("Thanks; QA has your reply.")


async def _reply(ctx: Ctx, flag: Flag, project: Project, kind: str, body: str) -> None:
    tx = ctx.tx
    assert ctx.member is not None and flag.item_id is not None
    await tx.add_flag_note(flag.id, ctx.member.id, kind, body, ctx.now)
    await tx.set_flag_waiting(flag.id, None)
    await tx.audit(project.id, ctx.member.id, f"review.{kind}", {"flag": flag.id}, ctx.now)
    sender = next(
        (n.member_id for n in reversed(await tx.flag_notes(flag.id)) if n.kind == "sent_back"), None
    )
    if sender is not None:
        item = await tx.item(flag.item_id)
        said = "relabelled it" if kind == "relabelled" else "keeps their answer"
        await notify(
            tx,
            sender,
            Screen(
                text=f"`{ctx.member.pseudonym}` {said} on item `{escape(item.ext_id)}` "
                f"({escape(project.title)}): {escape(body)}\n/review shows the flag again."
            ),
            ctx.now,
        )


async def _answers(ctx: Ctx, item: Item) -> list[Answer]:
    return [a for a in await ctx.tx.item_answers(item.id) if a.excluded is None]


async def _replied(ctx: Ctx, flag: Flag) -> bool:
    """Whether this person answered QA since the item was last sent back."""
    assert ctx.member is not None
    replied = False
    for note in await ctx.tx.flag_notes(flag.id):
        if note.kind == "sent_back":
            replied = False
        elif note.member_id == ctx.member.id:
            replied = True
    return replied


async def _card(
    ctx: Ctx, project: Project, flag_id: int, item: Item, answer: Answer, comment: str
) -> Screen:
    token = await issue_button(ctx.tx, answer.member_id, SentBack(flag_id, answer.id), ctx.now)
    text = item_body(item.data)
    kind = task_type(project.spec.task)
    view = kind.render(project.spec, item.data)
    choices = tap_choices(project.spec, view)
    buttons = [
        Button(("✓ " if value == answer.value else "") + shown, button_token(token, f"l{i}"))
        for i, (shown, value) in enumerate(choices)
    ]
    rows = [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
    ask = "Relabel it, or keep it and say why." if choices else "Keep it and say why."
    return Screen(
        text=(
            f"*QA sent an item back* ({escape(project.title)})\n\n"
            f"{escape(comment)}\n\n{escape(str(text))}\n\n"
            f"Your answer: *{escape(kind.describe(project.spec, answer.value))}*. {ask}"
        ),
        keyboard=(*rows, (Button("Keep my answer", button_token(token, KEEP)),)),
        media=ctx.media.screen_media(view.media) if ctx.media is not None else None,
    )
