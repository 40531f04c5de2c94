"""The guideline: `guide` (the guide and per-label help, split into messages) and `changes` (a new
version stops the stream until the annotator has seen what changed). Below the task loop: it
never imports `labeling`."""
