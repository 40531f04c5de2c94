"""Scheduled work: `scheduler` (APScheduler, one job per kind), `base` (what jobs share: a
transaction per project, messages to managers), `deadlines`, `reminders`, `digest` and
`housekeeping`. Every job is a plain ``async (store, now)`` function that may run on any worker
any number of times. May import `labeling` and `reports`."""
