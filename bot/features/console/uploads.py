"""File uploads for the console pages that declare them (`ConsoleRoute.upload`).

A multipart/form-data body, read up to the route's limit and parsed with the standard
library's email parser (no extra dependency): text fields go to the page's form, files to
`Page.files` as (file name, bytes). Anything larger than the limit, or not parseable, is
refused before the page runs. File names are reduced to their last part and bounded.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass

from starlette.requests import Request

__all__ = ["Upload", "read_multipart"]

MAX_PARTS = 20


@dataclass(frozen=True)
class Upload:
    """One uploaded file."""

    filename: str
    data: bytes


async def read_multipart(
    request: Request, limit: int
) -> tuple[dict[str, str], dict[str, Upload]] | None:
    """The fields and files of a multipart body of at most `limit` bytes; None otherwise."""
    content_type = request.headers.get("content-type", "")
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + bytes(body)
    )
    if not message.is_multipart():
        return None
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    for count, part in enumerate(message.iter_parts()):
        if count >= MAX_PARTS:
            return None
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            short = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:120]
            files[name] = Upload(short or "tep", data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, files
