"""The screen markup: people's text is escaped, and adapters get the formatting right."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.chat.markup import escape, plain, split_text, to_html


def test_bold_and_italic_become_html_and_plain() -> None:
    text = "*Title* and _note_ here"
    assert to_html(text) == "<b>Title</b> and <i>note</i> here"
    assert plain(text) == "Title and note here"


def test_code_spans_become_code() -> None:
    assert to_html("run `tapmark demo` now") == "run <code>tapmark demo</code> now"
    assert plain("run `tapmark demo` now") == "run tapmark demo now"


def test_html_special_characters_are_escaped() -> None:
    assert to_html("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert to_html("*<script>*") == "<b>&lt;script&gt;</b>"


@given(st.text())
def test_escaped_text_shows_exactly_as_written(text: str) -> None:
    assert plain(escape(text)) == text
    html = to_html(escape(text))
    assert html.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == text


def test_split_text_keeps_parts_under_the_limit_and_loses_nothing() -> None:
    paragraphs = [f"Paragraph {i} " + "word " * 50 for i in range(40)]
    text = "\n\n".join(paragraphs)
    parts = split_text(text, 1000)
    assert len(parts) > 1
    assert all(len(p) <= 1000 for p in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())


def test_split_text_cuts_a_long_word_hard() -> None:
    parts = split_text("x" * 2500, 1000)
    assert [len(p) for p in parts] == [1000, 1000, 500]


@given(
    st.text(alphabet=st.sampled_from("ab \n\t*"), max_size=400),
    st.integers(min_value=1, max_value=60),
)
def test_split_text_parts_fit_and_keep_every_visible_character(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in parts)
    assert all(p == p.strip() for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_split_text_prefers_paragraphs_then_lines_then_spaces() -> None:
    assert split_text("one two\nthree\n\nfour five", 16) == ["one two\nthree", "four five"]
    assert split_text("one two\nthree four", 12) == ["one two", "three four"]
    assert split_text("  one two three  ", 9) == ["one two", "three"]


def test_csv_cells_that_look_like_formulas_are_defused() -> None:
    from bot.exports.records import safe_cells

    assert safe_cells(["=HYPERLINK(1)", "+1", "-2", "@x", "fine", 3, ""]) == [
        "'=HYPERLINK(1)",
        "'+1",
        "'-2",
        "'@x",
        "fine",
        3,
        "",
    ]


def test_plain_unescapes_inside_bold_and_italic() -> None:
    assert plain(f"*Report: {escape('P_1 `x`')}*") == "Report: P_1 `x`"
    assert plain("_note_ and **") == "note and "
