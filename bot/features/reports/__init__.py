"""The volunteer-activity report: what the volunteers did, for a period and a place or team.

One folder holds the whole feature; the SQL it runs stays in `storage.report_queries` and
`storage.report_durations`.

- `model`: the `Report` and its parts, and the definition of every figure.
- `build`: `build_report(session, filter, now=...)`, folding one figure group at a time:
  `requests` (status, topic, outcome, ratings), `field_work` (field logs), `services`,
  `volunteers` (per volunteer); durations come straight from storage.
- Rendering: `wording` (shared Vietnamese words and numbers), `sections` (the breakdowns every
  format walks), `table`, `csv_export`, `xlsx_export`, `charts` (PNG), and `formula` (no cell
  of an export is ever read as a spreadsheet formula).
- Entry points: `cli` (`trolyso report ...`) and `chat` (/baocao).

Nothing is imported here, so `trolyso --help` stays cheap.
"""
