"""`trolyso serve` and `trolyso worker` move what start-up loaded out of the garbage
collector's reach: a full collection walked it all (about 40 ms on the event loop) every few
hundred messages of a burst, and the acknowledgements' p99 went from 48-57 ms to 124-134 ms.
"""

from __future__ import annotations

import gc

from bot.web.cli import _keep_out_of_collections


def test_what_start_up_loaded_is_kept_out_of_collections() -> None:
    loaded = [{"kept": n} for n in range(1000)]  # stands for the content and the index
    gc.unfreeze()
    before = gc.get_freeze_count()
    try:
        _keep_out_of_collections()
        assert gc.get_freeze_count() >= before + len(loaded)
    finally:
        gc.unfreeze()  # the rest of the tests collect as usual
