"""Build the matcher from the content, fast: light imports and a cached index per content version.

Normalizing every example, counting the BM25 rows and training the perceptron are the costly
parts of start-up (a few seconds at today's size, about a minute at 2,000 intents). All depend
only on the examples and the lexicon, so the matcher's whole state (`Matcher.state()`) is
written once per content version to `index-<version>.bin` in the cache folder and read back on
the next start; anything else (an edited example, a new synonym) is a new version and it is
built again. The file (intents/state_file.py) holds the strings and small things as JSON
(strings one a line) and the big arrays of numbers as raw bytes that numpy reads in place: at
2,000 intents 27 MB (19 MB of arrays), read in about 0.05 s. No pickle: a file in a writable
folder must never run code. A damaged file, or one of another version, is ignored and the
index built again.

The shipped content carries its own index (`content/matcher-index.bin.gz`, the same file
gzipped, written by `trolyso content index`), so even the first start of a fresh installation
is quick; a test keeps it in step with the content.

This module imports no database, web or channel code, so `trolyso match` starts quickly.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import sys
import tempfile
import zlib
from array import array
from pathlib import Path

from content import Content
from intents import Matcher, Thresholds, state_file
from intents.bm25 import INTS, as_list, split_lines

__all__ = [
    "SHIPPED_INDEX",
    "build_matcher",
    "content_version",
    "default_eval_set",
    "example_keys",
    "thresholds_of",
    "write_index",
]

logger = logging.getLogger(__name__)
# 6: each text's key ("texts"), for `trolyso content check`; 7: arrays as raw bytes
CACHE_FORMAT = 7
SHIPPED_INDEX = "matcher-index.bin.gz"


def default_eval_set() -> Path:
    """The labelled evaluation set of a source checkout (`trolyso eval`, the publish gate).
    Not shipped in the package: callers check that it exists."""
    return Path(__file__).resolve().parent.parent / "tests" / "data" / "eval_set.jsonl"


def thresholds_of(content: Content) -> Thresholds:
    """The matcher thresholds an operator set in `content/config.yaml`."""
    config = content.config
    return Thresholds(
        answer_threshold=config.answer_threshold,
        ambiguity_gap=config.ambiguity_gap,
        max_choices=config.max_choices,
        max_message_chars=config.max_message_chars,
        clarify_threshold=config.clarify_threshold,
        choice_window=config.choice_window,
    )


def _entries(content: Content) -> list[tuple[str, list[str]]]:
    """Every intent's examples, and its title (citizens tap it and retype it)."""
    return [(intent.id, [*intent.examples, intent.title]) for intent in content.intents.values()]


def content_version(content: Content) -> str:
    """A digest of everything the normalized index depends on: examples and lexicon.

    The texts (57,000 at 2,000 intents) are hashed as one UTF-8 string (lone surrogates
    passed through: every code point has its own bytes), with every text's length beside it,
    which tells every text apart as JSON of them would, in a third of the time (0.07 s at
    2,000 intents with JSON); the rest (ids, lexicon) is JSON.
    """
    lexicon = content.lexicon
    shape: list[object] = [
        [(intent.id, len(intent.examples)) for intent in content.intents.values()],
        sorted(lexicon.teencode.items()),
        sorted(lexicon.synonyms.items()),
        sorted(lexicon.fillers),
        sorted(lexicon.protected),
        sorted(lexicon.questions.items()),
    ]
    texts: list[str] = []
    for intent in content.intents.values():  # as _entries gives them
        texts.extend(intent.examples)
        texts.append(intent.title)
    lengths = array("Q", map(len, texts))
    if sys.byteorder == "big":  # pragma: no cover - the same version on every machine
        lengths.byteswap()
    parts = [
        f"trolyso-index-{CACHE_FORMAT}".encode(),
        json.dumps(shape).encode(),
        lengths.tobytes(),
        "".join(texts).encode("utf-8", "surrogatepass"),
    ]
    digest = hashlib.sha256()
    for part in parts:  # each part's length first: no two contents give the same bytes
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()[:24]


_DAMAGED = (
    OSError,
    EOFError,
    zlib.error,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
)


def _from_state(data: object, content: Content, version: str | None = None) -> Matcher | None:
    """The matcher a cached state describes, or None when it is damaged or of another version."""
    try:
        if not isinstance(data, dict):
            raise TypeError("not an index")
        if version is not None and data.get("version") != version:
            return None
        return Matcher.from_state(data, content.lexicon, thresholds_of(content))
    except _DAMAGED:
        return None


def _load(path: Path) -> object:
    """The state in an index file (gzipped when its name ends in .gz); raises on damage."""
    with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as stream:
        return state_file.read(stream)


def _read(path: Path, content: Content) -> Matcher | None:
    try:
        data = _load(path)
    except _DAMAGED:
        return None
    return _from_state(data, content)


def _read_shipped(content: Content, version: str) -> Matcher | None:
    """The matcher from the index shipped beside the content, if built from this very content."""
    if content.root is None:
        return None
    try:
        data = _load(content.root / SHIPPED_INDEX)
    except _DAMAGED:
        return None
    return _from_state(data, content, version)


def _state(matcher: Matcher) -> dict[str, object]:
    """The matcher's state, with where each text's key is among its intent's keys (-1: a text
    with no words), when the matcher normalized the texts itself."""
    state: dict[str, object] = matcher.state()
    if matcher.text_keys is not None:
        positions: list[int] = []
        for keys, found in zip(matcher.examples, matcher.text_keys, strict=True):
            where = {key: n for n, key in enumerate(keys)}
            positions.extend(where.get(key, -1) for key in found)
        state["texts"] = array(INTS, positions)
    return state


def example_keys(content: Content, cache_dir: Path | None = None) -> dict[str, list[str]] | None:
    """Every intent's example keys (normalized, "" for none), in order, as the cached or
    shipped index of this very content holds them; None when there is no such index."""
    version = content_version(content)
    data: object = None
    try:
        if cache_dir is not None and (cache_dir / f"index-{version}.bin").exists():
            data = _load(cache_dir / f"index-{version}.bin")
        elif content.root is not None:
            data = _load(content.root / SHIPPED_INDEX)
            if not isinstance(data, dict) or data.get("version") != version:
                return None
        if not isinstance(data, dict) or "texts" not in data:
            return None
        positions = as_list(data["texts"])
        intents = list(content.intents.values())
        if len(data["intents"]) != len(intents) or len(positions) != sum(
            len(intent.examples) + 1 for intent in intents
        ):
            return None
        found: dict[str, list[str]] = {}
        at = 0
        for intent, (name, joined) in zip(intents, data["intents"], strict=True):
            keys = split_lines(joined)
            if name != intent.id:
                return None
            texts = positions[at : at + len(intent.examples) + 1]
            at += len(texts)
            if max(texts) >= len(keys):
                return None
            found[intent.id] = [keys[n] if n >= 0 else "" for n in texts[:-1]]  # not the title
        return found
    except _DAMAGED:
        return None


def write_index(content: Content, path: Path) -> str:
    """Build the index of this content and write it, gzipped, to `path`; returns its version."""
    version = content_version(content)
    matcher = Matcher(_entries(content), content.lexicon, thresholds_of(content))
    data = state_file.dumps({"version": version, **_state(matcher)})
    path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return version


def _write(path: Path, matcher: Matcher) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".index-", suffix=".tmp")
        with os.fdopen(fd, "wb") as stream:
            stream.write(state_file.dumps(_state(matcher)))
        os.replace(temporary, path)  # atomic: another worker never reads half a file
    except OSError as exc:  # a read-only disk only costs start-up time
        logger.warning("matcher index cache not written: %s", exc.__class__.__name__)


def build_matcher(content: Content, cache_dir: Path | None = None) -> Matcher:
    """The matcher for this content: from the shipped or cached index of this content version
    when there is one, else built (and, with `cache_dir`, cached for the next start)."""
    matcher = _build(content, cache_dir)
    # A button title typed back (Zalo Bot shows buttons as numbered text) means that button.
    matcher.pin((intent.id, intent.title) for intent in content.intents.values())
    return matcher


def _build(content: Content, cache_dir: Path | None) -> Matcher:
    version = content_version(content)
    path = cache_dir / f"index-{version}.bin" if cache_dir is not None else None
    cached = (_read(path, content) if path else None) or _read_shipped(content, version)
    if cached is not None:
        return cached
    matcher = Matcher(_entries(content), content.lexicon, thresholds_of(content))
    if path is None:
        return matcher
    _write(path, matcher)
    for old in path.parent.glob("index-*"):  # earlier formats' index-*.json too
        if old != path:
            old.unlink(missing_ok=True)  # earlier versions are never read again
    return matcher
