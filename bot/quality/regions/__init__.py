"""Quality for region answers (boxes, polygons, keypoints). Pure numpy and SciPy.

- `consensus`: clusters across several annotators, a skill-weighted median region per cluster,
  confidences per region and per item, and the done / more / disputed decision;
- `crowd`: a simulated crowd on the synthetic pictures of `tasks.regions.synth`, and how close
  its consensus comes to the truth.

Matching two answers' regions (`tasks.regions.matching`) and scoring an answer against gold
(`tasks.regions.scoring`) live with the task type, which needs them to judge a gold answer;
they are re-exported here.
"""

from bot.quality.regions.consensus import (
    Cluster,
    RegionConsensus,
    RegionDecision,
    consensus_of,
    decide_regions,
    judge_regions,
)
from tasks.regions.matching import RegionSettings, match
from tasks.regions.scoring import GoldScore, score_gold

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
