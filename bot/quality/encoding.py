"""Answers as integer arrays, and the codebook that maps arbitrary ids to those indices and back.

Every algorithm in :mod:`bot.quality` works on an :class:`Answers` value: three equal-length
``int64`` arrays (item index, worker index, class index) plus the three sizes. :func:`encode`
builds one from ``(worker, item, label)`` triples of any hashable ids, together with a
:class:`Codebook` that translates back.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Answers:
    """Crowd answers in index form: answer ``j`` says worker ``workers[j]`` put item ``items[j]``
    in class ``labels[j]``."""

    items: IntArray
    workers: IntArray
    labels: IntArray
    n_items: int
    n_workers: int
    n_classes: int

    def __post_init__(self) -> None:
        n = self.items.shape[0]
        if self.items.ndim != 1 or self.workers.shape != (n,) or self.labels.shape != (n,):
            raise ValueError("items, workers and labels must be 1-D arrays of equal length")
        if self.n_classes < 1 or self.n_items < 0 or self.n_workers < 0:
            raise ValueError("sizes must be non-negative and n_classes at least 1")
        for name, arr, bound in (
            ("items", self.items, self.n_items),
            ("workers", self.workers, self.n_workers),
            ("labels", self.labels, self.n_classes),
        ):
            if n and (int(arr.min()) < 0 or int(arr.max()) >= bound):
                raise ValueError(f"{name} index out of range [0, {bound})")

    @classmethod
    def from_arrays(
        cls,
        items: Sequence[int] | IntArray,
        workers: Sequence[int] | IntArray,
        labels: Sequence[int] | IntArray,
        n_items: int | None = None,
        n_workers: int | None = None,
        n_classes: int | None = None,
    ) -> Answers:
        """Build from index sequences; any size left out is taken as ``max index + 1``."""
        it = np.asarray(items, dtype=np.int64).reshape(-1)
        wk = np.asarray(workers, dtype=np.int64).reshape(-1)
        lb = np.asarray(labels, dtype=np.int64).reshape(-1)

        def size(arr: IntArray, given: int | None, floor: int) -> int:
            if given is not None:
                return given
            return max(floor, int(arr.max()) + 1 if arr.size else 0)

        return cls(
            it,
            wk,
            lb,
            size(it, n_items, 0),
            size(wk, n_workers, 0),
            size(lb, n_classes, 1),
        )

    @property
    def n_answers(self) -> int:
        """How many answers there are."""
        return int(self.items.shape[0])

    def subset(self, mask: BoolArray | IntArray) -> Answers:
        """The answers selected by a boolean mask or an index array, with the same sizes."""
        return Answers(
            self.items[mask],
            self.workers[mask],
            self.labels[mask],
            self.n_items,
            self.n_workers,
            self.n_classes,
        )

    def counts(self) -> FloatArray:
        """Vote counts per item and class, shape ``(n_items, n_classes)``."""
        flat = np.bincount(
            self.items * self.n_classes + self.labels,
            minlength=self.n_items * self.n_classes,
        )
        return flat.reshape(self.n_items, self.n_classes).astype(np.float64)


def _ordered(values: Iterable[Hashable]) -> list[Hashable]:
    """Distinct values in sorted order when they sort, else in first-seen order."""
    seen = list(dict.fromkeys(values))
    try:
        return sorted(seen)  # type: ignore[type-var]
    except TypeError:
        return seen


@dataclass(frozen=True, slots=True)
class Codebook:
    """The ids behind the indices: ``items[i]`` is the id of item index ``i``, and so on."""

    items: tuple[Hashable, ...]
    workers: tuple[Hashable, ...]
    classes: tuple[Hashable, ...]
    _item_index: dict[Hashable, int] = field(init=False, repr=False, compare=False)
    _worker_index: dict[Hashable, int] = field(init=False, repr=False, compare=False)
    _class_index: dict[Hashable, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_item_index", {v: i for i, v in enumerate(self.items)})
        object.__setattr__(self, "_worker_index", {v: i for i, v in enumerate(self.workers)})
        object.__setattr__(self, "_class_index", {v: i for i, v in enumerate(self.classes)})

    def item_index(self, item: Hashable) -> int:
        """Index of an item id (KeyError when unknown)."""
        return self._item_index[item]

    def worker_index(self, worker: Hashable) -> int:
        """Index of a worker id (KeyError when unknown)."""
        return self._worker_index[worker]

    def class_index(self, label: Hashable) -> int:
        """Index of a class label (KeyError when unknown)."""
        return self._class_index[label]

    def has_item(self, item: Hashable) -> bool:
        """Whether the item id is known."""
        return item in self._item_index

    def decode_labels(self, labels: Iterable[int]) -> list[Hashable]:
        """Class indices back to the original labels."""
        return [self.classes[int(k)] for k in labels]

    def encode_gold(self, gold: Mapping[Hashable, Hashable]) -> tuple[IntArray, IntArray]:
        """Gold answers ``{item id: label}`` as (item index, class index) arrays.

        Items that have no answers are skipped; a label outside the class set is a KeyError.
        """
        pairs = [
            (self._item_index[item], self._class_index[label])
            for item, label in gold.items()
            if item in self._item_index
        ]
        if not pairs:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty.copy()
        arr = np.asarray(pairs, dtype=np.int64)
        return arr[:, 0].copy(), arr[:, 1].copy()


def encode(
    rows: Iterable[tuple[Hashable, Hashable, Hashable]],
    extra_classes: Iterable[Hashable] = (),
) -> tuple[Answers, Codebook]:
    """Encode ``(worker, item, label)`` triples into :class:`Answers` and a :class:`Codebook`.

    Items and workers are numbered in sorted order of their ids (first-seen order when the ids
    do not sort); classes likewise, over the answer labels plus ``extra_classes`` (e.g. the gold
    labels, so a class nobody chose still has an index).
    """
    triples = list(rows)
    workers = _ordered(t[0] for t in triples)
    items = _ordered(t[1] for t in triples)
    classes = _ordered([*(t[2] for t in triples), *extra_classes])
    book = Codebook(tuple(items), tuple(workers), tuple(classes) or (0,))
    wi, ii, ci = book._worker_index, book._item_index, book._class_index
    answers = Answers(
        np.fromiter((ii[t[1]] for t in triples), dtype=np.int64, count=len(triples)),
        np.fromiter((wi[t[0]] for t in triples), dtype=np.int64, count=len(triples)),
        np.fromiter((ci[t[2]] for t in triples), dtype=np.int64, count=len(triples)),
        len(items),
        len(workers),
        len(book.classes),
    )
    return answers, book


def gold_vector(n_items: int, gold_items: IntArray, gold_labels: IntArray) -> IntArray:
    """Gold as one array over all items: the class index, or -1 where there is no gold."""
    out = np.full(n_items, -1, dtype=np.int64)
    out[gold_items] = gold_labels
    return out
