"""Help days: a team posts when and where it helps people in person (issue 15).

- `rules`: times, the reminder's hour, how a day reads in a message.
- `board`: the next help days a citizen sees (their commune, else nearby in the province),
  with a "Nhắc tôi" button; `/nhactoi` records the wish.
- `form`: `/sukien`, the leader's guided form, listing and cancelling.
- `reminders`: the Worker's step that sends reminders the day before, once.
- `console`: /admin/helpdays (create, edit, cancel; past days kept).
"""
