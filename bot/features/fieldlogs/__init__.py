"""Field logs: help given in person, logged from the chat (/ghinhan) or imported from a file.

- `form`: the chat form; `cli`: `trolyso fieldlog import|template`.
- `pipeline`: one import, reading → parsing → writing (`storage.fieldlogs`) → summary.
- `reading` (bytes → rows), `values` and `parsing` (rows → drafts and precise problems),
  `summary` (what the leader reads), `template` (the file a leader starts from), `cells`
  (the columns, a cell as text), `limits` (the bounds the form and the import share).

Nothing is imported here, so `trolyso` starts without loading the database for other commands.
"""
