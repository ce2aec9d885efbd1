"""`python -m bot` runs the `trolyso` command."""

import sys

from bot.cli import main

sys.exit(main())
