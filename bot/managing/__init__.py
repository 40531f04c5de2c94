"""What managers do: `commands` (the chat commands: project, invite, members, suspend, remove,
forget), `operations` (the same operations from the command line: projects, imports, invites),
`batches` (listing and steering batches), `uploads` (a batch file sent in chat, its draft card),
`broadcast`, and the project file (`projectfile`, `projectfile_check`). May import `labeling`
(to wake people when work appears), `judging` and `reports`."""
