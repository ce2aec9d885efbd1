"""How big an imported content file may be. The shipped FAQ (some 200 intents, 11,000
examples) is about 0.4 MB of YAML and 0.3 MB of XLSX; these bounds leave room for a province's
own intents while refusing at once a file that could only tie the bot up.

Modules read these through the module (`limits.MAX_FILE`), so a test can lower one.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MAX_EXAMPLE_ROWS", "MAX_FILE", "MAX_INTENTS", "MAX_SHOWN", "MAX_SOURCE_ROWS"]

MAX_FILE: Final = 8 * 1024 * 1024  # bytes of the file as uploaded
MAX_INTENTS: Final = 5_000
MAX_EXAMPLE_ROWS: Final = 250_000
MAX_SOURCE_ROWS: Final = 25_000
MAX_SHOWN: Final = 300  # problems shown on the console page (the CLI prints every one)
