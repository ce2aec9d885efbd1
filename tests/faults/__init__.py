"""Fault tests: what bad input, broken parts and overload do to the real application."""
