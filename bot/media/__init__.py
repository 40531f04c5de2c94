"""Media of items: `store` (files kept by content hash, and what a screen shows), `importing`
(a batch's media from its ZIP or URLs), `fetch` (the download port an adapter implements),
`images` (checking and shrinking pictures) and `prune`."""
