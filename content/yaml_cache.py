"""Read a content YAML file through a JSON copy kept in the cache folder.

PyYAML builds Python objects in Python: a FAQ of 2,000 intents (10 MB of YAML) takes over a
second to read, at every start. The same data as JSON reads ten times faster. So the first
read of a file's text writes what it parsed to `yaml-<file>-<digest of the text>.json` in the
cache folder, and later reads of the same text read that instead; an edited file has another
digest and is parsed again. Given the file's bytes, the digest is of the bytes, and they are
decoded only to be parsed (10 MB of UTF-8 decoded and encoded again cost ~0.03 s). Only data
that survives the JSON round trip exactly is kept (dates are tagged); anything else is simply
parsed every time. JSON, not pickle: a file in a writable folder must never run code.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

__all__ = ["load_yaml", "text_of"]

logger = logging.getLogger(__name__)
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
_FORMAT = 2  # 2: the digest of the file's bytes
_DATE = "$date"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def text_of(raw: bytes) -> str:
    """A file's bytes as `Path.read_text(encoding="utf-8")` reads them: newlines translated.
    Raises UnicodeDecodeError on bytes that are not UTF-8."""
    text = raw.decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def load_yaml(source: str | bytes, name: str, cache_dir: Path | None = None) -> Any:
    """The data of a YAML text, or of a file's bytes (`name` says which file, for the cache's
    file name).

    Raises yaml.YAMLError like `yaml.load` on a text that is not valid YAML, and
    UnicodeDecodeError on bytes that are not UTF-8.
    """
    if cache_dir is None:
        text = source if isinstance(source, str) else text_of(source)
        return yaml.load(text, Loader=_FAST_LOADER)
    raw = source.encode() if isinstance(source, str) else source
    digest = hashlib.sha256(f"{_FORMAT}\n".encode() + raw).hexdigest()[:24]
    stem = f"yaml-{_UNSAFE.sub('_', name)}-"
    path = cache_dir / f"{stem}{digest}.json"
    try:
        return json.loads(path.read_bytes(), object_hook=_decode)
    except (OSError, ValueError, TypeError):
        pass  # no copy yet (or a damaged one): parse the YAML
    text = source if isinstance(source, str) else text_of(source)
    data = yaml.load(text, Loader=_FAST_LOADER)
    _write(path, stem, data)
    return data


def _write(path: Path, stem: str, data: Any) -> None:
    try:
        encoded = json.dumps(data, ensure_ascii=False, default=_encode)
        if json.loads(encoded, object_hook=_decode) != data:
            return  # would not read back the same (a number key, a set...): keep parsing YAML
    except (TypeError, ValueError):
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".yaml-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(encoded)
        os.replace(temporary, path)  # atomic: another worker never reads half a file
        for old in path.parent.glob(f"{stem}*.json"):
            if old != path:
                old.unlink(missing_ok=True)  # the file's earlier texts are never read again
    except OSError as exc:  # a read-only disk only costs start-up time
        logger.warning("content cache not written: %s", exc.__class__.__name__)


def _encode(value: object) -> object:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return {_DATE: value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not kept as JSON")


def _decode(found: dict[str, Any]) -> object:
    if len(found) == 1 and _DATE in found:
        return datetime.date.fromisoformat(found[_DATE])
    return found
