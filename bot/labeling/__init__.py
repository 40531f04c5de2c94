"""The task loop an annotator lives in: `work` (the next task, leases, answers, skips, reports),
`screens` and `task_keys` (the task card and its buttons), `basic` (joining and the everyday
commands), `undo`, `waiting` (telling people who wait that work came back) and `acknowledge`
(going on after a changed guideline). May import `judging`, `review`, `guidelines`, `reports`,
`media` and the rooms below them."""
