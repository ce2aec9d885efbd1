"""Features: one folder per feature, holding that feature's rules, rendering, CLI and chat command.

A maintainer who changes "the report" opens `bot/features/reports/` and nothing else; the entry
points (`bot/cli.py`, `bot/web/`, the channels) only wire a feature in. Import direction:
entry points -> features -> core services -> intents, content, storage.
"""
