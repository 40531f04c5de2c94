"""Inter-annotator agreement: Krippendorff's alpha, Fleiss' kappa, agreement with consensus."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.quality.encoding import Answers, FloatArray, IntArray


def coincidences(answers: Answers) -> FloatArray:
    """Krippendorff's coincidence matrix ``o[c, k]`` over the pairable items (two or more
    answers): each ordered pair of answers within an item adds ``1 / (m_item - 1)``."""
    counts = answers.counts()
    m = counts.sum(axis=1)
    pairable = m >= 2
    c = counts[pairable]
    weight = 1.0 / (m[pairable] - 1.0)
    o = np.einsum("i,ic,ik->ck", weight, c, c)
    o -= np.diag((c * weight[:, None]).sum(axis=0))
    return np.asarray(o, dtype=np.float64)


def krippendorff_alpha(answers: Answers) -> float:
    """Krippendorff's alpha for nominal data, ``1 - D_observed / D_expected``.

    Any number of answers per item is fine; items with fewer than two answers cannot be
    paired and are left out, as in Krippendorff's definition. Returns NaN when there are no
    pairable items, and 1.0 when all pairable answers are in one class (no expected
    disagreement, and none observed).
    """
    o = coincidences(answers)
    n_c = o.sum(axis=1)
    n = float(n_c.sum())
    if n <= 1.0:
        return float("nan")
    observed = float(o.sum() - np.trace(o))
    expected = float(n * n - np.sum(n_c * n_c)) / (n - 1.0)
    if expected <= 0.0:
        return 1.0
    return 1.0 - observed / expected


def fleiss_kappa(answers: Answers) -> float:
    """Fleiss' kappa over the items that have answers.

    Fleiss' kappa is defined only when every item has the same number of raters (at least
    two); if the numbers differ this raises ``ValueError`` rather than guess (use
    :func:`krippendorff_alpha`, which handles any number per item, or pass a subset of the
    answers with a constant count). Items with no answers are ignored. Returns 1.0 when all
    answers fall in one class.
    """
    counts = answers.counts()
    m = counts.sum(axis=1)
    counts = counts[m > 0]
    m = m[m > 0]
    if counts.shape[0] == 0:
        return float("nan")
    raters = float(m[0])
    if np.any(m != raters):
        raise ValueError(
            "Fleiss' kappa needs the same number of answers on every item; "
            f"found between {int(m.min())} and {int(m.max())}"
        )
    if raters < 2:
        raise ValueError("Fleiss' kappa needs at least two answers per item")
    p_item = (np.sum(counts * counts, axis=1) - raters) / (raters * (raters - 1.0))
    p_bar = float(p_item.mean())
    share = counts.sum(axis=0) / counts.sum()
    p_e = float(np.sum(share * share))
    if p_e >= 1.0:
        return 1.0
    return (p_bar - p_e) / (1.0 - p_e)


@dataclass(frozen=True, slots=True)
class WorkerAgreement:
    """Per worker: share of their answers that match the consensus, and how many counted."""

    rate: FloatArray
    n: IntArray


def worker_agreement(
    answers: Answers, consensus: IntArray, leave_one_out: bool = False
) -> WorkerAgreement:
    """How often each worker's answer equals the consensus label of the item.

    ``consensus`` holds a class per item (``-1`` skips the item). With ``leave_one_out`` the
    consensus is instead the majority of the *other* answers on the item, so a worker is not
    compared with a vote they are part of (items where the others tie are skipped).
    Workers with nothing to compare get NaN.
    """
    n_w = answers.n_workers
    if leave_one_out:
        others = answers.counts()[answers.items]
        others[np.arange(answers.n_answers), answers.labels] -= 1.0
        top = others.max(axis=1)
        unique_top = (others == top[:, None]).sum(axis=1) == 1
        usable = (top > 0) & unique_top
        hit = usable & (np.argmax(others, axis=1) == answers.labels)
    else:
        ref = consensus[answers.items]
        usable = ref >= 0
        hit = usable & (ref == answers.labels)
    agree = np.bincount(answers.workers, weights=hit.astype(np.float64), minlength=n_w)
    total = np.bincount(answers.workers, weights=usable.astype(np.float64), minlength=n_w)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(total > 0, agree / np.maximum(total, 1.0), np.nan)
    return WorkerAgreement(np.asarray(rate, dtype=np.float64), total.astype(np.int64))
