"""Run a module under cProfile timed by CPU, not by the wall clock.

Usage: `python bench/cpu_profile.py OUT -m MODULE [ARGS...]` (bench_load.py --profile uses it).

cProfile's default timer is the wall clock. In an asyncio server whose database calls run in
SQLAlchemy's greenlets, the time spent waiting for PostgreSQL is then charged to whichever
frame was last on the stack (asyncpg's execute, SQLAlchemy's commit), and a profile of a
burst says the worker is busy where it is idle. `time.process_time` charges only the CPU the
process used. The statistics are written when the module returns or is interrupted.
"""

from __future__ import annotations

import cProfile
import runpy
import sys
import time


def main() -> None:
    if len(sys.argv) < 4 or sys.argv[2] != "-m":
        raise SystemExit("usage: python bench/cpu_profile.py OUT -m MODULE [ARGS...]")
    out, module = sys.argv[1], sys.argv[3]
    sys.argv = [module, *sys.argv[4:]]
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        profiler.disable()
        profiler.dump_stats(out)


if __name__ == "__main__":
    main()
