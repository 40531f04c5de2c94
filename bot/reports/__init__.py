"""What people are told about progress: `progress` (an annotator's progress, a batch's bar, who
is behind quota), `report` (the managers' report), `chat` (/report and /export in chat) and
`charts` (PNG charts with Pillow). May import `exports`."""
