"""Where each key of a project file is: the lines its problems are reported at."""

from __future__ import annotations

import pytest

from bot.managing.projectfile import ProjectFileError, parse_project
from bot.managing.projectfile_check import key_lines, line_of

TEXT = '''name = "p"  # a comment [not = a table]
labels = [
  "a",
  "b",  # ]
]
instructions = \'\'\'
[quality]
min_overlap = 9
\'\'\'
quality.gold_rate = 0.5
"odd key" = 1

[[labels]]
value = "c"

[[labels]]
value = "d"
title = """two
lines"""

[ schedule ]
digest_at = "18:00"
'''


def test_keys_are_found_past_strings_arrays_and_comments() -> None:
    lines = key_lines(TEXT)
    assert lines[("name",)] == 1
    assert lines[("labels",)] == 2
    assert lines[("instructions",)] == 6
    assert ("quality", "min_overlap") not in lines, "inside a multi-line string"
    assert lines[("quality", "gold_rate")] == 10
    assert lines[("odd key",)] == 11
    assert (lines[("labels", 0)], lines[("labels", 1)], lines[("labels", 1, "title")]) == (
        13,
        16,
        18,
    )
    assert lines[("schedule", "digest_at")] == 22
    assert line_of(lines, ("labels", 1, "examples", 0)) == 16
    assert line_of(lines, ("nowhere",)) is None


def test_a_wrong_label_key_and_a_duplicate_label_are_named_together() -> None:
    text = (
        'name = "p"\ntitle = "P"\ntask = "single_choice"\n'
        '[[labels]]\nvalue = "a"\n[[labels]]\nvalue = "a"\nexampels = ["x"]\n'
    )
    with pytest.raises(ProjectFileError) as caught:
        parse_project("p.toml", text)
    assert str(caught.value).splitlines() == [
        "p.toml: line 4: labels (the answer choices): labels must be distinct",
        "p.toml: line 8: labels[2].exampels: not a setting here; did you mean examples "
        "(examples of the label)?",
    ], "the check of the whole list runs too, in the same call"


def test_a_missing_required_field_and_a_misspelt_one_are_both_named() -> None:
    text = 'nmae = "p"\ntitle = ""\ntask = "binary"\nlabels = ["y", "n"]\n'
    with pytest.raises(ProjectFileError) as caught:
        parse_project("p.toml", text)
    assert str(caught.value).splitlines() == [
        "p.toml: line 1: nmae: not a setting here; did you mean name (the project's short name)?",
        "p.toml: line 2: title (the title people see): must not be empty",
    ]
