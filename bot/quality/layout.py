"""Answers pre-sorted for fast EM sums, and row normalisation of log posteriors.

Each EM step needs two sums over answers: expected counts per (worker, answered label) cell,
and per-item sums of log confusion entries. Sorting the answers once by cell and once by item
turns both into a gather plus one ``np.add.reduceat``, several times faster than
``np.bincount`` per class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.quality.encoding import Answers, FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class Layout:
    """Answers pre-sorted twice, so each EM step is a gather plus one ``np.add.reduceat``.

    A *cell* is ``worker * K + answered label``. ``cell_items`` lists the item of every answer
    in cell order, with ``cells``/``cell_starts`` marking each non-empty cell's run;
    ``item_cells`` lists the cell of every answer in item order, likewise delimited.
    """

    n_items: int
    n_workers: int
    n_classes: int
    cell_items: IntArray
    cells: IntArray
    cell_starts: IntArray
    item_cells: IntArray
    items: IntArray
    item_starts: IntArray

    @classmethod
    def of(cls, answers: Answers) -> Layout:
        """Sort the answers by cell and by item (stable radix sorts, once per EM run)."""
        k = answers.n_classes
        cell = answers.workers * k + answers.labels
        by_cell = stable_order(cell, answers.n_workers * k)
        by_item = stable_order(answers.items, answers.n_items)
        cells, cell_starts = _runs(cell[by_cell])
        items, item_starts = _runs(answers.items[by_item])
        return cls(
            answers.n_items,
            answers.n_workers,
            k,
            answers.items[by_cell],
            cells,
            cell_starts,
            cell[by_item],
            items,
            item_starts,
        )

    def cell_counts(self, posterior: FloatArray) -> FloatArray:
        """Expected answer counts ``[cell, true class]`` under the item posteriors."""
        k = self.n_classes
        out = np.zeros((self.n_workers * k, k))
        if self.cells.size:
            gathered = np.take(posterior, self.cell_items, axis=0)
            out[self.cells] = np.add.reduceat(gathered, self.cell_starts, axis=0)
        return out

    def item_sums(self, table: FloatArray) -> FloatArray:
        """Per item, the sum over its answers of ``table[cell]`` (a row per true class)."""
        if self.items.size == 0:
            return np.zeros((self.n_items, self.n_classes))
        gathered = np.take(table, self.item_cells, axis=0)
        sums = np.add.reduceat(gathered, self.item_starts, axis=0)
        if self.items.size == self.n_items:  # every item has answers: rows already in order
            return np.asarray(sums, dtype=np.float64)
        out = np.zeros((self.n_items, self.n_classes))
        out[self.items] = sums
        return out


def stable_order(keys: IntArray, bound: int) -> IntArray:
    """``np.argsort(keys, kind="stable")`` for non-negative ints below ``bound``, faster.

    Already-sorted input costs one comparison pass; otherwise keys are sorted 16 bits at a
    time with numpy's radix sort (``uint16``, stable), least significant half first.
    """
    n = keys.shape[0]
    if n < 2 or bool(np.all(keys[1:] >= keys[:-1])):
        return np.arange(n, dtype=np.int64)
    if bound > 1 << 32:
        return np.argsort(keys, kind="stable").astype(np.int64)
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    if bound > 1 << 16:
        high = (keys[order] >> 16).astype(np.uint16)
        order = order[np.argsort(high, kind="stable")]
    return order.astype(np.int64)


def _runs(sorted_values: IntArray) -> tuple[IntArray, IntArray]:
    """Distinct values of a sorted array and the index where each run starts."""
    if sorted_values.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    return sorted_values[starts], starts.astype(np.int64)


def normalise_log(logpost: FloatArray) -> tuple[FloatArray, float]:
    """Turn unnormalised log posteriors (rows) into probabilities, in place.

    Returns the probabilities and the total log normaliser (the log-likelihood). Column-wise
    loops over the few classes are much faster than ``max(axis=1)`` on a narrow matrix.
    """
    k = logpost.shape[1]
    top = logpost[:, 0].copy()
    for t in range(1, k):
        np.maximum(top, logpost[:, t], out=top)
    logpost -= top[:, None]
    np.exp(logpost, out=logpost)
    total = logpost[:, 0].copy()
    for t in range(1, k):
        total += logpost[:, t]
    logpost /= total[:, None]
    return logpost, float(top.sum() + np.log(total).sum())
