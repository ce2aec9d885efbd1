"""`trolyso demo`: fill a fresh database with a month of clearly marked demo activity.

One province (Gia Lai), three communes with a team each, a leader and a few volunteers per
team, an operator and a citizen to play from the console, about 120 help requests over the
30 days ending `today` and about 25 field logs; a few requests are still live near `now`
(open, or active with a volunteer chatting).

- `cast`: the people and teams, seeded directly (reference data);
- `script`: what the month should look like (who asks what, when, how it ends), from a seed;
- `stage`: a fake clock, console people and the product's background round;
- `month`: plays the script through the bot (`seed_demo`), so that the demo database holds
  what the product itself wrote;
- `summary`: what the command prints.
"""

from bot.demo.cast import DemoError, database_is_empty
from bot.demo.month import seed_demo
from bot.demo.script import VIETNAM
from bot.demo.stage import DemoDrift
from bot.demo.summary import DEMO_MARK, DemoLogin, DemoSummary, render_summary

__all__ = [
    "DEMO_MARK",
    "VIETNAM",
    "DemoDrift",
    "DemoError",
    "DemoLogin",
    "DemoSummary",
    "database_is_empty",
    "render_summary",
    "seed_demo",
]
