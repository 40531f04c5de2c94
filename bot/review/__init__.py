"""QA's side: `queue` (the review queue, its card and tools, pings and notes) and `sendback`
(asking an item's annotators to look again, and their replies). May import `judging`."""
