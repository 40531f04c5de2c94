"""The `tapmark` command line, grouped as `tapmark --help` groups it: `main` (the console
script and composition root: `run` and `demo` start the adapters), `commands` (projects,
batches, invites, exports, migrations), `manage` (batches and members as in chat), `report`,
`audit`, `quality` (aggregate and replay) and `files` (files replaced whole or not at all).
The only package that may import the adapters and the core together."""
