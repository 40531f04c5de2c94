"""Guidelines in Markdown as Telegram HTML and Slack mrkdwn, and split at each platform's limit."""

from __future__ import annotations

from adapters.markdown import render, render_parts
from adapters.slack.render import MAX_SECTION
from adapters.slack.render import render as slack_render
from adapters.telegram.render import MAX_TEXT, visible
from adapters.telegram.render import render as telegram_render
from bot.chat.actions import Screen

GUIDE = """# Sentiment guide

Mark **bold** snake_case_word claims as _opinions_; see [the policy](https://example.com/p?a=1&b=2).

## Labels

- **pos** — praise
- neg: <b>not html</b> & more
1. read `the_text`
2. decide
"""


def test_a_guide_renders_to_telegram_html() -> None:
    assert render(GUIDE, "telegram") == (
        "<b>Sentiment guide</b>\n\n"
        "Mark <b>bold</b> snake_case_word claims as <i>opinions</i>; see "
        '<a href="https://example.com/p?a=1&amp;b=2">the policy</a>.\n\n'
        "<b>Labels</b>\n\n"
        "• <b>pos</b> — praise\n"
        "• neg: &lt;b&gt;not html&lt;/b&gt; &amp; more\n\n"
        "1. read <code>the_text</code>\n"
        "2. decide"
    )


def test_a_guide_renders_to_slack_mrkdwn() -> None:
    assert render(GUIDE, "slack") == (
        "*Sentiment guide*\n\n"
        "Mark *bold* snake_case_word claims as _opinions_; see "
        "<https://example.com/p?a=1&amp;b=2|the policy>.\n\n"
        "*Labels*\n\n"
        "• *pos* — praise\n"
        "• neg: &lt;b&gt;not html&lt;/b&gt; &amp; more\n\n"
        "1. read `the_text`\n"
        "2. decide"
    )


def test_long_guides_split_between_blocks_at_each_limit() -> None:
    sections = [
        f"## Part {n}\n\n" + " ".join(f"**w{n}_{i}**" for i in range(300)) for n in range(12)
    ]
    guide = "\n\n".join(sections)
    parts = telegram_render(Screen(text=guide, markdown=True))
    assert len(parts) > 1
    assert all(len(visible(p.html)) <= MAX_TEXT for p in parts)
    for part in parts:
        assert part.html.count("<b>") == part.html.count("</b>"), "no part ends inside a tag"
    assert "".join(p.text for p in parts).count("w11_299") == 1, "nothing lost"
    messages = slack_render(Screen(text=guide, markdown=True))
    texts = [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]
    assert len(texts) > 1 and all(len(t) <= MAX_SECTION for t in texts)
    assert all(t.count("*") % 2 == 0 for t in texts), "no bold pair cut in two"
    assert "".join(texts).count("w11_299") == 1


def test_one_huge_paragraph_is_cut_between_words_into_whole_pieces() -> None:
    guide = " ".join(f"**b{i}**" for i in range(2000))
    parts = render_parts(guide, "telegram", MAX_TEXT, lambda h: len(visible(h)))
    assert len(parts) > 1
    assert all(p.count("<b>") == p.count("</b>") for p in parts)
    assert sum(p.count("<b>") for p in parts) == 2000
