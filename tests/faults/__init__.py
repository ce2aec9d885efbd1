"""Fault tests: bad input, a killed server, a database outage, under load.

They keep the findings of the hardening issue from regressing: every bad input gets its
status or message and changes nothing; every acknowledged update is handled exactly once, no
reply is lost, duplicates only for messages in flight, no apology. bench/bench_faults.py
prints the same figures.
"""
