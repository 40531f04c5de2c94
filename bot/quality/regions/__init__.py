"""Quality for region answers (boxes, polygons, keypoints). Pure numpy and SciPy.

- `matching`: one-to-one matching of two answers' regions by IoU (Hungarian);
- `consensus`: clusters across several annotators, a skill-weighted median region per cluster,
  confidences per region and per item, and the done / more / disputed decision;
- `gold`: an answer scored against a gold answer, right or wrong for the gold accuracy;
- `crowd`: a simulated crowd on the synthetic pictures of `tasks.regions.synth`, and how close
  its consensus comes to the truth.
"""

from bot.quality.regions.consensus import (
    Cluster,
    RegionConsensus,
    RegionDecision,
    consensus_of,
    decide_regions,
    judge_regions,
)
from bot.quality.regions.gold import GoldScore, score_gold
from bot.quality.regions.matching import RegionSettings, match

__all__ = [
    "Cluster",
    "GoldScore",
    "RegionConsensus",
    "RegionDecision",
    "RegionSettings",
    "consensus_of",
    "decide_regions",
    "judge_regions",
    "match",
    "score_gold",
]
