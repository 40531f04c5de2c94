"""The platforms: `telegram`, `slack`, `web` (the annotation page) and `console` (the demo),
each in its own folder; no adapter imports another. Shared pieces beside them: `fetch` (the
media-download port's HTTP side), `health`, `healthcheck`, `markdown`, `platform` (what the
composition root needs of a platform) and `running` (run the core or say sorry; the toast
rule). Adapters import the core (`bot`), never the other way round."""
