"""Encoding answers with arbitrary ids into index arrays, and back."""

from __future__ import annotations

import numpy as np
import pytest

from bot.quality.encoding import Answers, encode, gold_vector


def test_encode_round_trips_ids_and_labels() -> None:
    rows = [("w2", "t1", "cat"), ("w1", "t1", "dog"), ("w1", "t2", "cat")]
    answers, book = encode(rows)
    assert (answers.n_items, answers.n_workers, answers.n_classes) == (2, 2, 2)
    assert answers.n_answers == 3
    for j, (w, t, lab) in enumerate(rows):
        assert book.workers[int(answers.workers[j])] == w
        assert book.items[int(answers.items[j])] == t
        assert book.classes[int(answers.labels[j])] == lab
    assert book.decode_labels([0, 1]) == ["cat", "dog"]
    assert book.item_index("t2") == 1 and book.worker_index("w2") == 1
    assert book.has_item("t1") and not book.has_item("nope")


def test_extra_classes_get_an_index_and_gold_encodes() -> None:
    answers, book = encode([("w", "a", "x"), ("w", "b", "x")], extra_classes=["y"])
    assert book.classes == ("x", "y")
    items, labels = book.encode_gold({"a": "y", "zzz": "x"})  # unknown item skipped
    assert items.tolist() == [0] and labels.tolist() == [1]
    with pytest.raises(KeyError):
        book.encode_gold({"a": "unknown label"})
    assert gold_vector(answers.n_items, items, labels).tolist() == [1, -1]


def test_unsortable_ids_keep_first_seen_order() -> None:
    rows = [(1, "b", "x"), ("one", "a", 2)]
    answers, book = encode(rows)  # mixed types cannot be sorted
    assert book.workers == (1, "one")
    assert book.classes == ("x", 2)
    assert book.items == ("a", "b")
    assert answers.items.tolist() == [1, 0]


def test_answers_validate_shapes_and_ranges() -> None:
    with pytest.raises(ValueError):
        Answers.from_arrays([0, 1], [0], [0, 0])
    with pytest.raises(ValueError):
        Answers.from_arrays([0, 5], [0, 0], [0, 1], n_items=3)
    a = Answers.from_arrays([0, 0, 1], [0, 1, 1], [1, 1, 0])
    assert (a.n_items, a.n_workers, a.n_classes) == (2, 2, 2)
    assert a.counts().tolist() == [[0.0, 2.0], [1.0, 0.0]]
    sub = a.subset(np.array([True, False, True]))
    assert sub.n_answers == 2 and sub.n_items == 2


def test_empty_answers_are_allowed() -> None:
    answers, _ = encode([])
    assert answers.n_answers == 0 and answers.n_classes == 1
    assert answers.counts().shape == (0, 1)
