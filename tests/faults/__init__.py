"""Fault tests: the real server as a subprocess, killed or cut off from its database under load.

They keep the findings of the hardening issue from regressing (every acknowledged update
handled exactly once, no reply lost, duplicates only for messages in flight, no apology);
bench/bench_faults.py prints the same figures.
"""
