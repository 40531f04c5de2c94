"""The chat vocabulary: events in (`events`), actions and screens out (`actions`), button
callback data (`buttons`), Markdown helpers (`markup`), screens kept in the outbox (`outbox`),
and per-person ordering of concurrent updates (`ordering`). Imports only `domain` and `storage`'s
contract."""
