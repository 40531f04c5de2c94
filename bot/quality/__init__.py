"""Label-quality mathematics: aggregation, agreement, gold accuracy and dynamic overlap.

Pure numpy: no I/O, no asyncio. Answers are integer arrays (see :mod:`bot.quality.encoding`).
"""

from bot.quality.agreement import (
    WorkerAgreement,
    fleiss_kappa,
    krippendorff_alpha,
    worker_agreement,
)
from bot.quality.dawid_skene import (
    EMSettings,
    dawid_skene,
    dawid_skene_gold,
    dawid_skene_loo,
    dawid_skene_prior,
    one_coin,
)
from bot.quality.encoding import Answers, Codebook, encode, gold_vector
from bot.quality.gold import GoldEstimate, gold_accuracy, posterior_mean
from bot.quality.methods import DEFAULT_METHOD, METHODS, aggregate, cross_fitted_accuracy
from bot.quality.overlap import Decision, OverlapPolicy, WorkerModel, decide, decide_many
from bot.quality.replay import Assessment, ReplayResult, assess, replay
from bot.quality.result import Aggregation
from bot.quality.voting import majority_vote, weighted_vote

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "Aggregation",
    "Answers",
    "Assessment",
    "Codebook",
    "Decision",
    "EMSettings",
    "GoldEstimate",
    "OverlapPolicy",
    "ReplayResult",
    "WorkerAgreement",
    "WorkerModel",
    "aggregate",
    "assess",
    "cross_fitted_accuracy",
    "dawid_skene",
    "dawid_skene_gold",
    "dawid_skene_loo",
    "dawid_skene_prior",
    "decide",
    "decide_many",
    "encode",
    "fleiss_kappa",
    "gold_accuracy",
    "gold_vector",
    "krippendorff_alpha",
    "majority_vote",
    "one_coin",
    "posterior_mean",
    "replay",
    "weighted_vote",
    "worker_agreement",
]
