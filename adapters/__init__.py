"""The platforms: `telegram`, `slack`, `web` (the annotation page) and `console` (the demo),
each in its own folder; no adapter imports another. Shared pieces beside them: `fetch` (the
media-download port's HTTP side), `health`, `healthcheck` and `markdown`. Adapters import the
core (`bot`), never the other way round."""
