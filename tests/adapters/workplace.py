"""The "whole workplace from chat alone" scenario, shared by the Telegram and Slack tests: the
files an admin sends, who answers what, and what the store and the export must show at the end.
Nothing platform-specific lives here.
"""

from __future__ import annotations

import json
from typing import Any

from bot.exports.records import record
from storage.contract import Store

NAME = "desk"
TITLE = "Desk reviews"
LABELS = ("pos", "neg", "neu")
IDLE = ["Check for tasks", "Progress", "Guide"]
REPORT = "report"

PROJECT_FILE = "desk.toml"
PROJECT = f'''name = "{NAME}"
title = "{TITLE}"
task = "single_choice"
labels = ["pos", "neg", "neu"]
instructions = "How does the writer feel about the desk?"

[quality]
min_overlap = 2
max_overlap = 2
gold_rate = 0
'''.encode()

BATCH_FILE = "desk-batch.jsonl"
ITEMS = {
    "x1": "The desk wobbles but it looks great.",  # two annotators disagree: disputed
    "x2": "It broke after one day.",
    "x3": "qwrt zxcv plmk",  # reported as unclear by the first who sees it
}
BAD_LINE = 2
BAD_PROBLEM = "line 2: data: must be an object"


def batch(bad: bool = False) -> bytes:
    """The batch; with `bad`, line 2 holds its text where an object belongs."""
    lines = []
    for n, (ext, text) in enumerate(ITEMS.items(), start=1):
        data: Any = text if bad and n == BAD_LINE else {"text": text}
        lines.append(json.dumps({"id": ext, "data": data}))
    return ("\n".join(lines) + "\n").encode()


COMMENT = "Is the tone really negative? Read the second half again."
KEEP_REASON = "It praises the looks, and that is what the writer cares about."
QA_LABEL = "pos"  # what QA sets on the reported item (the annotators said neu)


def item_on(card_text: str) -> str:
    """The ext id of the item a card shows."""
    found = [ext for ext, text in ITEMS.items() if text in card_text]
    assert len(found) == 1, card_text
    return found[0]


def choice(annotator: int, item: str, reported: set[str]) -> str:
    """What annotator number `annotator` answers: a label, or REPORT."""
    if item == "x1":
        return LABELS[annotator]  # any two of them disagree
    if item == "x2":
        return "neg"
    if not reported:
        reported.add(item)
        return REPORT
    return "neu"


async def records(store: Store) -> dict[str, dict[str, Any]]:
    """The stored outcome per item, as the export shows it (item id -> record)."""
    async with store.transaction() as tx:
        project = await tx.project_by_name(NAME)
        assert project is not None
        return {row.item.ext_id: record(row) async for row in tx.export_rows(project.id)}


async def audit_actions(store: Store) -> list[str]:
    async with store.transaction() as tx:
        project = await tx.project_by_name(NAME)
        assert project is not None
        return [entry.action async for entry in tx.audit_log(project.id)]


async def open_flags(store: Store) -> int:
    async with store.transaction() as tx:
        project = await tx.project_by_name(NAME)
        assert project is not None
        return await tx.open_flags(project.id)


async def pseudonyms(store: Store, platform: str, user_ids: list[str]) -> list[str]:
    """The pseudonymous ids of these people, in the order given."""
    found = []
    async with store.transaction() as tx:
        for user_id in user_ids:
            member = await tx.member_by_identity(platform, user_id)
            assert member is not None, user_id
            found.append(member.pseudonym)
    return found


def check_export(
    text: str,
    annotators: list[str],
    relabelled: str,
    kept: str,
    reporter: str,
    secrets: list[str],
) -> list[dict[str, Any]]:
    """The exported JSONL reflects every decision, under pseudonyms only.

    `annotators`: the pseudonyms of everyone who labeled; `relabelled`/`kept`: who changed
    their answer on the disputed item and who kept it; `secrets`: names and platform ids that
    must not appear anywhere in the file."""
    rows = [json.loads(line) for line in text.splitlines()]
    by_id = {r["id"]: r for r in rows}
    assert sorted(by_id) == sorted(ITEMS)
    x1, x2, x3 = by_id["x1"], by_id["x2"], by_id["x3"]
    # The disputed item: the relabel changed that answer; judged again, both say pos.
    given = {a["annotator"]: a["label"] for a in x1["answers"]}
    assert given == {relabelled: "pos", kept: "pos"}
    assert x1["status"] == "done" and x1["result"]["label"] == "pos"
    assert x1["result"]["method"] != "qa"
    assert x2["status"] == "done" and x2["result"]["label"] == "neg"
    assert [a["label"] for a in x2["answers"]] == ["neg", "neg"]
    # The reported item: QA's label is the result, by method qa, over the annotators' neu.
    assert x3["status"] == "done"
    assert x3["result"] == {"label": QA_LABEL, "confidence": 1.0, "method": "qa"}
    assert sorted(a["label"] for a in x3["answers"]) == ["neu", "neu"]
    assert reporter not in {a["annotator"] for a in x3["answers"]}
    who = {a["annotator"] for r in rows for a in r["answers"]}
    assert who == set(annotators)
    for secret in secrets:
        assert secret not in text, secret
    return rows
