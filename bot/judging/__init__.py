"""Judging people and items: `judge` (gold feedback, qualification, suspension, behaviour
signals), `verdicts` (when an item's answers settle it, per task type) and `outcome` (settling an
item and recording its result or dispute). Imports `quality` for the mathematics; never the task
loop."""
