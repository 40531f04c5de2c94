"""The QA review queue: one flagged item (or annotator) at a time, and what QA can do with it.

`/review` shows the oldest open flag: the item (with its picture, sound or video), its answers
under pseudonyms, the result so far and why it was flagged, with the thread of any send-back.
Buttons: an answer to set the item's result by hand (the options an annotator taps; for a typed
task, *Type result* and the next message QA sends), *Accept* (close the flag: a held item goes
back to work, a disputed one keeps its best label), *Send back* (to the annotators who answered,
see `bot.review.sendback`), *Gold* (pick the answer; the item becomes a gold question; for task
types answered by tapping), *Ping* (the next message QA types goes, with the item, to the chats of
the
people chosen through the outbox; on an item several people answered, Ping first asks whom:
each answerer by pseudonym, the minority first, or all of them), *Guide note* (mark it
ambiguous: the next message becomes a note in a new guideline version), *Skip*. Task types
answered by switching options on (multi-label, image regions) have no answer buttons here:
QA accepts the result or sends the item back.
A card shows only the buttons that can do something for its flag: no *Ping* with nobody to ping,
no *Send back* on a gold question or an item nobody answered.
Items reported by `HOLD_AFTER` different people are held out of the stream until QA decides.
"""

from __future__ import annotations

from bot.access import NOT_REVIEWER, can_review, ensure_member
from bot.chat.actions import Button, Screen, Toast
from bot.chat.buttons import PAGE, button_token, split_token
from bot.chat.events import Tap
from bot.chat.markup import escape
from bot.chat.outbox import notify
from bot.context import Ctx, show
from bot.review.sendback import ask_comment
from bot.routing import ask_reply, issue_button
from domain.entities import Flag, Item, Member, Project, Result
from domain.enums import FlagStatus, ItemStatus
from domain.tokens import NoteText, PingText, ResultText, ReviewCard
from storage.contract import Tx
from tasks import tap_choices, task_type
from tasks.base import AnswerError, TaskView, item_body

HOLD_AFTER = 2


async def hold_if_reported(ctx: Ctx, item_id: int) -> None:
    """Hold an open item back from the stream once enough people reported it."""
    item = await ctx.tx.item(item_id)
    if item.status == ItemStatus.OPEN and await ctx.tx.item_reporters(item_id) >= HOLD_AFTER:
        await ctx.tx.set_item_outcome(item_id, ItemStatus.HELD, None, ctx.now)


async def on_review(ctx: Ctx, args: tuple[str, ...]) -> None:
    project = await ctx.project()
    if project is None:
        ctx.say("You have no current project.")
        return
    if not await can_review(ctx, project):
        ctx.say("Only QA reviewers and managers of this project can review.")
        return
    await ensure_member(ctx)
    ctx.send(await review_card(ctx, project, 0))


async def review_card(ctx: Ctx, project: Project, after_id: int) -> Screen:
    tx = ctx.tx
    flag = await tx.next_flag(project.id, after_id)
    if flag is None:
        return Screen(text="The review queue is empty. 🎉")
    assert ctx.member is not None
    token = await issue_button(tx, ctx.member.id, ReviewCard(flag.id), ctx.now)
    lines = [f"*Flag {flag.id}: {escape(flag.kind)}*"]
    if flag.member_id is not None:
        who = await tx.member(flag.member_id)
        lines.append(
            f"About `{who.pseudonym}`" if flag.item_id is None else f"Raised by `{who.pseudonym}`"
        )
    if flag.reason:
        lines.append(f"Why: {escape(flag.reason)}")
    buttons: list[Button] = []
    media = None
    view: TaskView | None = None
    if flag.item_id is not None:
        item = await tx.item(flag.item_id)
        kind = task_type(project.spec.task)
        view = kind.render(project.spec, item.data)
        media = ctx.media.screen_media(view.media) if ctx.media is not None else None
        lines.append(
            f"\nItem `{escape(item.ext_id)}` ({item.status}): {escape(item_body(item.data))}"
        )
        answers = await tx.item_answers(item.id)
        if answers:
            names = {a.member_id: (await tx.member(a.member_id)).pseudonym for a in answers}
            lines.append(
                "Answers: "
                + ", ".join(
                    f"`{names[a.member_id]}` {escape(kind.describe(project.spec, a.value))}"
                    + (" (excluded)" if a.excluded else "")
                    for a in answers
                )
            )
        result = await tx.result(item.id)
        if result is not None:
            shown = kind.describe(project.spec, result.label)
            lines.append(
                f"Result so far: *{escape(shown)}* (confidence "
                f"{result.confidence:.2f}, {escape(result.method)})"
            )
        lines.extend(await _thread(ctx, flag))
        buttons = [
            Button(f"→ {shown}", button_token(token, f"l{i}"))
            for i, (shown, _) in enumerate(tap_choices(project.spec, view))
        ]
        if view.mode == "page":
            buttons = [Button(REVIEW_PAGE, button_token(token, PAGE), page=token)]
    open_count = await tx.open_flags(project.id)
    lines.append(f"\n_{open_count} open flag{'s' if open_count != 1 else ''} in the queue_")
    usable = await _usable_tools(tx, flag)
    tools = [
        Button(label, button_token(token, code))
        for label, code in _tools(flag, view)
        if code in usable
    ]
    rows = [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
    rows += [row for row in (tuple(tools[:3]), tuple(tools[3:])) if row]
    return Screen(text="\n".join(lines), keyboard=tuple(rows), media=media)


REVIEW_PAGE = "✏️ Review in the page"
NO_REVIEW_PAGE = "Regions are reviewed in the annotation page, which is not set up here."

TOOLS = (
    ("Accept", "a"),
    ("Send back", "b"),
    ("Gold", "g"),
    ("Type result", "t"),
    ("Ping", "m"),
    ("Guide note", "n"),
    ("Skip", "s"),
)


async def _usable_tools(tx: Tx, flag: Flag) -> set[str]:
    """The tools that can act on this flag now (`_tools` decides by task type)."""
    usable = {code for _, code in TOOLS} - {"m", "b"}
    if await ping_targets(tx, flag):
        usable.add("m")
    if flag.item_id is not None:
        item = await tx.item(flag.item_id)
        if item.gold is None and await tx.item_answers(item.id):
            usable.add("b")
    return usable


async def ping_targets(tx: Tx, flag: Flag) -> list[int]:
    """Who Ping can reach about a flag, minority first: the item's answerers ordered by how
    many others gave the same answer (fewest first, then by first answer), then the person
    who raised or is named by the flag when they did not answer."""
    order: list[int] = []
    if flag.item_id is not None:
        answers = await tx.item_answers(flag.item_id)
        counts: dict[str, int] = {}
        for answer in answers:
            counts[answer.value] = counts.get(answer.value, 0) + 1
        first: dict[int, tuple[int, int]] = {}
        for position, answer in enumerate(answers):
            first.setdefault(answer.member_id, (counts[answer.value], position))
        order = sorted(first, key=lambda member_id: first[member_id])
    if flag.member_id is not None and flag.member_id not in order:
        order.append(flag.member_id)
    return order


def _tools(flag: Flag, view: TaskView | None) -> list[tuple[str, str]]:
    """The card's tools: for a flag without an item, Accept, Ping and Skip; *Gold* where the
    answer is tapped, *Type result* where it is typed."""
    if view is None:
        return [(label, code) for label, code in TOOLS if code in ("a", "m", "s")]
    skip = {"tap": {"t"}, "text": {"g"}}.get(view.mode, {"g", "t"})
    return [(label, code) for label, code in TOOLS if code not in skip]


async def _thread(ctx: Ctx, flag: Flag) -> list[str]:
    lines = []
    for note in await ctx.tx.flag_notes(flag.id):
        who = (
            "QA"
            if note.kind == "sent_back"
            else (
                f"`{(await ctx.tx.member(note.member_id)).pseudonym}`"
                if note.member_id
                else "someone"
            )
        )
        lines.append(f"  {who} ({note.kind.replace('_', ' ')}): {escape(note.body)}")
    return ["Thread:", *lines] if lines else []


def _item_choices(project: Project, item: Item) -> list[tuple[str, str]]:
    return tap_choices(project.spec, task_type(project.spec.task).render(project.spec, item.data))


def _gold_picker(project: Project, item: Item, token: str) -> Screen:
    choices = _item_choices(project, item)
    buttons = [
        Button(f"⭐ {shown}", button_token(token, f"g{i}")) for i, (shown, _) in enumerate(choices)
    ]
    rows = [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
    return Screen(
        text="Which answer is right? The item becomes a gold question with it.",
        keyboard=(*rows, (Button("Back", button_token(token, "s0")),)),
    )


async def on_review_tap(ctx: Ctx, tap: Tap, member: Member, card: ReviewCard, code: str) -> None:
    flag_id = card.flag_id
    tx = ctx.tx
    flag = await tx.flag(flag_id)
    if flag is None:
        ctx.actions.append(Toast(tap, "That flag is gone."))
        return
    project = await tx.project(flag.project_id)
    if not await can_review(ctx, project):
        ctx.actions.append(Toast(tap, NOT_REVIEWER))
        return
    if code == PAGE:
        ctx.actions.append(Toast(tap, NO_REVIEW_PAGE))
        return
    if code in ("s", "s0"):
        ctx.actions.append(Toast(tap, "Skipped" if code == "s" else "OK"))
        show(ctx, tap, await review_card(ctx, project, flag.id if code == "s" else flag.id - 1))
        return
    if flag.status != FlagStatus.OPEN:
        ctx.actions.append(Toast(tap, "Someone already dealt with this one."))
        show(ctx, tap, await review_card(ctx, project, 0))
        return
    if code == "m" or (code.startswith("p") and len(code) > 1):
        await _ping(ctx, tap, flag, code)
        return
    if code == "n":
        assert ctx.member is not None
        await ask_reply(tx, ctx.member.id, NoteText(flag.id))
        show(
            ctx,
            tap,
            Screen(
                text="Type the note for the guideline in one message; it becomes "
                "a new version that annotators acknowledge."
            ),
        )
        return
    if code == "b":
        await ask_comment(ctx, tap, flag)
        return
    item = await tx.item(flag.item_id) if flag.item_id is not None else None
    if code in ("g", "t"):
        view = task_type(project.spec.task).render(project.spec, item.data) if item else None
        if item is None or view is None:
            ctx.actions.append(Toast(tap, "This flag has no item."))
        elif (code, view.mode) not in (("g", "tap"), ("t", "text")):
            ctx.actions.append(Toast(tap, "That button is not valid."))
        elif code == "g":
            show(ctx, tap, _gold_picker(project, item, split_token(tap.token)[0]))
        else:
            assert ctx.member is not None
            await ask_reply(tx, ctx.member.id, ResultText(flag.id))
            show(
                ctx,
                tap,
                Screen(text="Type the right answer in one message; it becomes the item's result."),
            )
        return
    label = _choice(project, item, code)
    if code == "a":
        await _accept(ctx, project, flag)
        ctx.actions.append(Toast(tap, "Accepted"))
    elif code.startswith("g") and label is not None and flag.item_id is not None:
        await _set_result(ctx, flag.item_id, label)
        await tx.make_gold(flag.item_id, label, flag.reason)
        await tx.resolve_flag(flag.id, f"gold {label}")
        ctx.actions.append(Toast(tap, f"Gold: {label}"))
    elif code.startswith("l") and label is not None and flag.item_id is not None:
        await _set_result(ctx, flag.item_id, label)
        await tx.resolve_flag(flag.id, f"relabelled {label}")
        ctx.actions.append(Toast(tap, f"Set to {label}"))
    else:
        ctx.actions.append(Toast(tap, "That button is not valid."))
        return
    await tx.audit(
        project.id,
        ctx.member.id if ctx.member else None,
        "review",
        {"flag": flag.id, "action": code},
        ctx.now,
    )
    show(ctx, tap, await review_card(ctx, project, 0))


async def _ping(ctx: Ctx, tap: Tap, flag: Flag, code: str) -> None:
    """*Ping* (``m``): with one person to reach, ask for the message; with several, ask whom
    (``p<member id>`` or ``pa`` for all). A chosen person must still be one Ping can reach."""
    tx = ctx.tx
    assert ctx.member is not None
    targets = await ping_targets(tx, flag)
    if code == "m" and len(targets) > 1:
        show(ctx, tap, await _ping_chooser(ctx, flag, targets, split_token(tap.token)[0]))
        return
    if code == "m" or code == "pa":
        chosen = targets
    elif code[1:].isdigit() and int(code[1:]) in targets:
        chosen = [int(code[1:])]
    else:
        ctx.actions.append(Toast(tap, "That button is not valid."))
        return
    if not chosen:
        ctx.actions.append(Toast(tap, "Nobody answered or raised this flag."))
        return
    await ask_reply(tx, ctx.member.id, PingText(flag.id, to=tuple(chosen)))
    names = ", ".join([f"`{(await tx.member(m)).pseudonym}`" for m in chosen])
    show(
        ctx,
        tap,
        Screen(text=f"Type the message for {names} in one message; they see it with the item."),
    )


async def _ping_chooser(ctx: Ctx, flag: Flag, targets: list[int], token: str) -> Screen:
    tx = ctx.tx
    answers = await tx.item_answers(flag.item_id) if flag.item_id is not None else []
    given = {a.member_id: a.value for a in answers}
    project = await tx.project(flag.project_id)
    kind = task_type(project.spec.task)
    buttons = []
    for member_id in targets:
        label = (await tx.member(member_id)).pseudonym
        if member_id in given:
            label += f" ({kind.describe(project.spec, given[member_id])})"
        buttons.append(Button(label, button_token(token, f"p{member_id}")))
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    return Screen(
        text="Whom should the message reach? Those in the minority come first.",
        keyboard=(
            *rows,
            (
                Button("All of them", button_token(token, "pa")),
                Button("Back", button_token(token, "s0")),
            ),
        ),
    )


def _choice(project: Project, item: Item | None, code: str) -> str | None:
    """The stored answer a ``l<i>`` or ``g<i>`` button stands for."""
    if item is None or len(code) < 2 or not code[1:].isdigit():
        return None
    choices = _item_choices(project, item)
    index = int(code[1:])
    return choices[index][1] if index < len(choices) else None


async def _set_result(ctx: Ctx, item_id: int, label: str) -> None:
    result = Result(item_id=item_id, label=label, confidence=1.0, method="qa")
    await ctx.tx.set_item_outcome(item_id, ItemStatus.DONE, result, ctx.now)


async def _accept(ctx: Ctx, project: Project, flag: Flag) -> None:
    await ctx.tx.resolve_flag(flag.id, "accepted")
    if flag.item_id is None:
        return
    item = await ctx.tx.item(flag.item_id)
    if item.status == "held" and await ctx.tx.item_reporters(item.id) == 0:
        await ctx.tx.set_item_outcome(item.id, ItemStatus.OPEN, None, ctx.now)


async def on_result_text(ctx: Ctx, member: Member, reply: ResultText, text: str) -> None:
    """The answer QA typed after *Type result*: the item's result (method ``qa``), checked as
    an annotator's typed answer is."""
    flag_id = reply.flag_id
    tx = ctx.tx
    assert ctx.member is not None
    flag = await tx.flag(flag_id)
    project = await tx.project(flag.project_id) if flag is not None else None
    if flag is None or flag.item_id is None or project is None or flag.status != FlagStatus.OPEN:
        await ask_reply(tx, ctx.member.id, None)
        ctx.say("That flag is no longer open; nothing was set. /review shows the queue.")
        return
    if not await can_review(ctx, project):
        await ask_reply(tx, ctx.member.id, None)
        ctx.say(NOT_REVIEWER)
        return
    item = await tx.item(flag.item_id)
    try:
        value = task_type(project.spec.task).typed(project.spec, item.data, text)
    except AnswerError as exc:
        ctx.say(f"{escape(str(exc))} Type it again, or /review to go back.")
        return
    await ask_reply(tx, ctx.member.id, None)
    await _set_result(ctx, item.id, value)
    await tx.resolve_flag(flag.id, "relabelled")
    await tx.audit(project.id, ctx.member.id, "review", {"flag": flag.id, "action": "t"}, ctx.now)
    ctx.say(f"The result of `{escape(item.ext_id)}` is now *{escape(value)}*.")
    ctx.send(await review_card(ctx, project, 0))


async def on_note_text(ctx: Ctx, member: Member, reply: NoteText, text: str) -> None:
    """A QA note typed after *Guide note*: appended to the guideline as a new version."""
    flag_id = reply.flag_id
    tx = ctx.tx
    assert ctx.member is not None
    await ask_reply(tx, ctx.member.id, None)
    flag = await tx.flag(flag_id)
    if flag is None:
        ctx.say("That flag is gone; nothing was added.")
        return
    if not await can_review(ctx, await tx.project(flag.project_id)):
        ctx.say(NOT_REVIEWER)
        return
    current = await tx.guideline(flag.project_id)
    body = current.body.rstrip() if current else ""
    heading = "## Notes from QA"
    if heading not in body:
        body += f"\n\n{heading}\n"
    body += f"\n- {text.strip()[:2000]}\n"
    version = await tx.add_guideline(flag.project_id, body.lstrip(), ctx.now)
    await tx.audit(
        flag.project_id,
        ctx.member.id,
        "guideline.note",
        {"flag": flag.id, "version": version.version},
        ctx.now,
    )
    ctx.say(
        f"Added to the guideline (version {version.version}); annotators will see it before "
        "their next task. /review shows the queue again."
    )


async def on_ping_text(ctx: Ctx, member: Member, reply: PingText, text: str) -> None:
    """The message QA typed after Ping: to each chosen person (`to`; the flagged person when
    absent) through the outbox, with the item shown. People Ping can no longer reach are left
    out."""
    flag_id, to = reply.flag_id, None if reply.to is None else list(reply.to)
    tx = ctx.tx
    assert ctx.member is not None
    await ask_reply(tx, ctx.member.id, None)
    flag = await tx.flag(flag_id)
    if flag is None:
        ctx.say("That flag is gone; nothing was sent.")
        return
    project = await tx.project(flag.project_id)
    if not await can_review(ctx, project):
        ctx.say(NOT_REVIEWER)
        return
    reachable = await ping_targets(tx, flag)
    wanted = to if to is not None else [flag.member_id] if flag.member_id is not None else []
    chosen = [m for m in wanted if m in reachable]
    if not chosen:
        ctx.say("Nobody to send it to any more; nothing was sent.")
        return
    about, media = "", None
    if flag.item_id is not None:
        item = await tx.item(flag.item_id)
        view = task_type(project.spec.task).render(project.spec, item.data)
        media = ctx.media.screen_media(view.media) if ctx.media is not None else None
        about = f" about item `{escape(item.ext_id)}`:\n{escape(item_body(item.data))}"
    screen = Screen(
        text=f"*QA, {escape(project.title)}*{about}\n\n{escape(text.strip()[:2000])}", media=media
    )
    for member_id in chosen:
        await notify(tx, member_id, screen, ctx.now)
    await tx.audit(project.id, ctx.member.id, "ping", {"flag": flag.id, "to": chosen}, ctx.now)
    ctx.say(
        f"Sent to {len(chosen)} {'person' if len(chosen) == 1 else 'people'}. "
        "/review shows the queue again."
    )
