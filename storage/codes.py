"""Short codes people read aloud and type: reference codes, handles, invite codes.

The alphabet leaves out letters that look alike on a cheap phone screen (0/O, 1/I/L, 5/S,
2/Z, 8/B), so a farmer reading a code to a volunteer over the phone gets it right.
"""

from __future__ import annotations

import secrets

__all__ = ["ALPHABET", "new_code", "normalize_code"]

ALPHABET = "3469ACDEFGHJKMNPQRTUVWXY"


def new_code(length: int) -> str:
    """A random code from the unambiguous alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize_code(text: str) -> str:
    """What the person meant: upper case, without the spaces, dashes and "#" they added."""
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())
