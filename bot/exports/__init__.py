"""Results out: `records` (JSONL and CSV with pseudonymous annotator ids), `formats` (the
registry), `annotators`, `sheet`, `rich`, `labelstudio` and `regions` (COCO). Pure of chat:
imports `quality`, `storage`'s rows and `tasks`."""
