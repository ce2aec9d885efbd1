"""A PostgreSQL outage under load: nothing lost, nothing answered twice, no apology.

The real server runs on a PostgreSQL server of the test's own, which is stopped with
`pg_ctl stop -m fast` for 5 seconds once 40% of the stream was acknowledged, then started
again. While it is down the webhook cannot store deliveries and answers an error; the fake
platform redelivers them (every 0.5 s, bounded), as Zalo does. A delivery stored before
the outage and redelivered after must not be answered twice.

Nobody is told "the system failed, please send again" (the `error_apology` text): every
message the platform acknowledged is answered once the database is back, so an apology
would only make people repeat themselves. Duplicate sends are allowed only for replies
sent while the database could not record them (see `run_outage`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.postgres import LocalPostgres
from tests.faults.scenarios import Load, run_outage

pytestmark = pytest.mark.faults


async def test_postgres_stop_and_start_under_load(
    tmp_path: Path, load: Load, own_postgres: LocalPostgres
) -> None:
    figures = await run_outage(tmp_path, load, own_postgres, down=5.0)
    assert figures.redeliveries > 0, "the outage came after the stream: nothing was refused"
    assert not figures.violations(), figures
