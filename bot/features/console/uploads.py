"""Files sent from a console form (multipart/form-data), read with a hard size cap.

The console has no multipart library (and takes no new dependency for one form), so this is
a small reader of what browsers send: parts split by the boundary, each with a
Content-Disposition naming the field and, for a file, its file name. The whole body is read
at most `limit` bytes; beyond that the request is refused before anything is parsed. Nothing
here trusts the file: its name is cut to a bare, short name, and its bytes go to the
feature's own checks (the field-log pipeline reads the format, rows and zip sizes itself).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.requests import Request

__all__ = ["MAX_FIELDS", "Upload", "is_multipart", "read_multipart"]

MAX_FIELDS = 20  # parts of one form: a few fields and one file
MAX_NAME = 120  # characters of a file name kept

_BOUNDARY = re.compile(r'boundary="?([^";]{1,200})"?', re.IGNORECASE)
_PARAM = re.compile(r'\b(name|filename)="([^"]*)"', re.IGNORECASE)


@dataclass(frozen=True)
class Upload:
    """One file from a form: the name the browser gave (bare, short) and its bytes."""

    filename: str
    data: bytes


def is_multipart(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "multipart/form-data"


def _bare_name(raw: str) -> str:
    """The last path part of a file name, without control characters, at most MAX_NAME."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:MAX_NAME] or "tep-tai-len"


async def _body(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, Upload]] | None:
    """Fields and files of a multipart body; None when it is not one we can read."""
    found = _BOUNDARY.search(content_type)
    if found is None:
        return None
    delimiter = b"--" + found.group(1).encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or len(chunks) > MAX_FIELDS + 2:
        return None
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    for chunk in chunks[1:-1]:  # before the first delimiter: preamble; after "--": epilogue
        if not chunk.startswith(b"\r\n"):
            return None
        head, sep, content = chunk[2:].partition(b"\r\n\r\n")
        if not sep or not content.endswith(b"\r\n"):
            return None
        content = content[:-2]
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-disposition":
                disposition = value
        params = {k.lower(): v for k, v in _PARAM.findall(disposition)}
        name = params.get("name")
        if not name:
            return None
        if "filename" in params:
            if params["filename"] or content:  # an empty file input sends no name, no bytes
                files[name] = Upload(_bare_name(params["filename"]), content)
        else:  # a plain field: bounded by the route's body limit, like a file
            fields[name] = content.decode("utf-8", "replace")
    if not chunks[-1].startswith(b"--"):
        return None
    return fields, files


async def read_multipart(
    request: Request, limit: int
) -> tuple[dict[str, str], dict[str, Upload]] | None:
    """The form's fields and files, or None when the body is over `limit` or unreadable."""
    body = await _body(request, limit)
    if body is None:
        return None
    return parse_multipart(request.headers.get("content-type", ""), body)
