"""Features: one folder per thing a person does with the bot, holding all of that thing.

A feature folder (`bot/features/<name>/`) owns a feature's rules, its chat form or command,
its command-line part, and whatever reads, checks or renders for it, so a maintainer who must
change "field logs" opens one folder. What it stores goes through `storage/`; entry points
(`bot/cli.py`, the web app, the channels) only wire features in. Import direction:
entry points → features → core services (`bot/`) → `intents`, `content`, `storage`.
"""
