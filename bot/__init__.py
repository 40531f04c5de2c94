"""The core: platform-neutral, async, one transaction per event.

`core.Core` routes each event (a command, a button press, typed text, an upload) to the wing that
declared it and returns the actions to show once the transaction committed. The wings, each a
sub-package with one job:

- `chat`: the vocabulary every wing speaks: events in, actions and screens out, button codes,
  Markdown escaping, the outbox's screens;
- `labeling`: the task loop: the next task, leases, answers, skips, reports, undo, waiting and
  waking, the idle menu, joining with an invite;
- `judging`: gold feedback, qualification, suspension, behaviour signals, settling an item;
- `review`: the QA queue, send-back to annotators, pings and notes;
- `managing`: projects, batches, uploads and project files, invites, members, broadcasts;
- `guidelines`: the guide, its versions and what changed;
- `reports`: progress, the managers' report, charts;
- `exports`: results in the formats labeling tools read;
- `jobs`: the scheduler and its jobs (leases, deadlines, reminders, digests, housekeeping);
- `media`: media files kept for items, their import and download port;
- `quality`: the label-quality mathematics (pure numpy).

Beside them: `context` (what a handler gets), `access` (role checks), `link` (one person on two
platforms), `config`, `metrics`, `timekeeping`, `logsafe`, and `outbox_pump` (what adapters run to
send the outbox).

The core imports `domain`, `storage` (its contract) and `tasks`; never an adapter, a platform
library or an HTTP client. Which wing may import which is written once, in
`tests/unit/test_layering.py`.
"""
