"""A matcher's state as one file: the strings and small things as JSON, the big arrays of
numbers as their raw bytes after it, read back without parsing a single number.

    b"TROLYSO-STATE-1\\n"   magic
    8 bytes                 the JSON header's length (little-endian)
    JSON header             the state, each array replaced by {"$array": [kind, offset, count]},
                            padded with spaces to a multiple of 8 bytes from the file's start
    arrays                  each array's little-endian bytes, at an offset (from here) that is a
                            multiple of 8

Arrays are `array.array` or numpy arrays of 32-bit integers ("i") or 64-bit floats ("d"). With
numpy they are read back as numpy arrays over the file's bytes (`np.frombuffer`: no copy, no
parse), else as `array.array`. A JSON list of a million numbers takes a second to read, base64
of them a tenth of that; this, nothing. No pickle: a file in a writable folder must never run
code. Anything damaged (a wrong magic, a truncated file, an array out of bounds) raises
ValueError.
"""

from __future__ import annotations

import array
import json
import sys
from collections.abc import Callable
from typing import Any, Protocol

from intents.bm25 import FLOATS, INTS, numpy_or_none

__all__ = ["MAGIC", "dumps", "loads", "read"]

MAGIC = b"TROLYSO-STATE-1\n"
_ARRAY = "$array"
_LENGTH = 8  # bytes of the header's length
_ALIGN = 8
_DTYPES = {INTS: "<i4", FLOATS: "<f8"}
_KINDS = {"i4": INTS, "f8": FLOATS}  # a numpy array's dtype (kind and size): its kind


def _kind(found: Any) -> str | None:
    """An array's kind ("i" or "d"), None for anything that is not an array of numbers."""
    if isinstance(found, array.array):
        if found.typecode not in _DTYPES:
            raise ValueError(f"arrays of {found.typecode!r} are not kept")
        return found.typecode
    dtype = getattr(found, "dtype", None)
    if dtype is None or not hasattr(found, "tobytes"):
        return None
    kind = _KINDS.get(f"{dtype.kind}{dtype.itemsize}")
    if kind is None:
        raise ValueError(f"arrays of {dtype} are not kept")
    return kind


def dumps(state: Any) -> bytes:
    """The state (JSON-ready data whose leaves may also be arrays of numbers) as one file."""
    blobs: list[bytes] = []
    size = 0

    def replace(found: Any) -> Any:
        nonlocal size
        if isinstance(found, dict):
            if _ARRAY in found:
                raise ValueError(f"a key named {_ARRAY!r} is reserved")
            return {key: replace(value) for key, value in found.items()}
        if isinstance(found, (list, tuple)):
            return [replace(value) for value in found]
        kind = _kind(found)
        if kind is None:
            return found
        if isinstance(found, array.array):
            numbers = array.array(kind, found)
            if sys.byteorder == "big":  # pragma: no cover - the file is little-endian
                numbers.byteswap()
            raw = numbers.tobytes()
        else:
            raw = found.astype(_DTYPES[kind], copy=False).tobytes()
        padding = -size % _ALIGN
        blobs.append(b"\0" * padding + raw)
        size += padding
        reference = {_ARRAY: [kind, size, len(found)]}
        size += len(raw)
        return reference

    header = json.dumps(replace(state), ensure_ascii=False, separators=(",", ":")).encode()
    header += b" " * (-(len(MAGIC) + _LENGTH + len(header)) % _ALIGN)  # arrays start aligned
    return b"".join([MAGIC, len(header).to_bytes(_LENGTH, "little"), header, *blobs])


def loads(data: bytes) -> Any:
    """The state `dumps` wrote (raises ValueError when damaged)."""
    view = memoryview(data)
    length = _header_length(bytes(view[: len(MAGIC) + _LENGTH]))
    start = len(MAGIC) + _LENGTH
    header = bytes(view[start : start + length])
    if len(header) != length:
        raise ValueError("a truncated state file")
    return _restore(json.loads(header), view[start + length :])


class Readable(Protocol):
    """A binary stream: an open file, a gzip file, BytesIO."""

    def read(self, size: int = -1, /) -> bytes: ...


def read(stream: Readable) -> Any:
    """The state `dumps` wrote, read from a binary stream (a file, a gzip file): the arrays
    are views of one buffer that holds nothing else."""
    length = _header_length(stream.read(len(MAGIC) + _LENGTH))
    header = stream.read(length)
    if len(header) != length:
        raise ValueError("a truncated state file")
    return _restore(json.loads(header), stream.read())


def _header_length(head: bytes) -> int:
    if head[: len(MAGIC)] != MAGIC or len(head) != len(MAGIC) + _LENGTH:
        raise ValueError("not a state file")
    return int.from_bytes(head[len(MAGIC) :], "little")


def _restore(header: Any, blob: bytes | memoryview) -> Any:
    np = numpy_or_none()
    make: Callable[[str, int, int], Any]
    if np is not None:

        def make(kind: str, offset: int, count: int) -> Any:
            found = np.frombuffer(blob, dtype=_DTYPES[kind], count=count, offset=offset)
            return found if sys.byteorder == "little" else found.astype(found.dtype.newbyteorder())
    else:  # pragma: no cover - numpy is a dependency; this serves a bare install

        def make(kind: str, offset: int, count: int) -> Any:
            found = array.array(kind)
            found.frombytes(blob[offset : offset + count * found.itemsize])
            if sys.byteorder == "big":
                found.byteswap()
            return found

    def restore(found: Any) -> Any:
        if isinstance(found, list):
            return [restore(value) for value in found]
        if not isinstance(found, dict):
            return found
        if _ARRAY not in found:
            return {key: restore(value) for key, value in found.items()}
        kind, offset, count = found[_ARRAY]
        if kind not in _DTYPES or not isinstance(offset, int) or not isinstance(count, int):
            raise ValueError("a damaged array")
        itemsize = 4 if kind == INTS else 8
        if offset < 0 or count < 0 or offset % _ALIGN or offset + count * itemsize > len(blob):
            raise ValueError("an array out of bounds")
        return make(kind, offset, count)

    return restore(header)
