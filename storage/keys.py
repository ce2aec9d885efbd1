"""Identifiers from platforms, made to fit their columns without ever colliding.

Update, message and chat ids are stored in 128-character columns. Cutting a longer id would
make two different ids equal (and a second, different update would be taken for a redelivery
and dropped), so a long id keeps a readable prefix and ends with a digest of the whole id.
"""

from __future__ import annotations

import hashlib

__all__ = ["MAX_KEY", "bounded_key"]

MAX_KEY = 128
_DIGEST = 40  # hex characters of SHA-256 kept: collisions are out of reach


def bounded_key(value: str, limit: int = MAX_KEY) -> str:
    """`value` itself when it fits, else a prefix, "#" and a digest of the whole value."""
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:_DIGEST]
    return f"{value[: limit - _DIGEST - 1]}#{digest}"
