"""Vietnamese administrative units (from 1 July 2025) and a fuzzy index for typed commune names.

Since 1 July 2025 Vietnam has two levels: 34 provinces and 3,321 communes (xã), wards
(phường) and special zones (đặc khu); there are no districts any more. The list ships as
`content/places/admin_units.csv`, with `province_aliases.csv` for names citizens still type
(pre-2025 provinces such as "Quảng Nam", abbreviations such as "tphcm").

Citizens type "xa ia grai gia lai", "p. ben thanh tphcm", "iagrai gialai" or a whole sentence.
`Places.search` reads such text as follows (the measured design of
shared/reference/vietnamese-text.md, section 5):

1. Fold the text (`intents.normalize.fold`), capped at MAX_CHARS characters.
2. Find the rightmost province mention, including aliases and space-less forms ("gialai"), and
   drop a "tỉnh / thành phố / tp" just before it. Only that province's communes are searched.
3. Find the name. After a type word (xã, x, phường, p, f, đặc khu, thị trấn) the name
   starts right after it; without one it ends right before the province. Type words are read
   only there, as a prefix: "thanh" inside "Bến Thành" is part of the name. Text with neither
   a type word nor a province must be the name itself ("ia grai"): in a free sentence, "là gì"
   or "an toàn" would otherwise be read as Phường La Gi or Xã An Toàn.
4. Exact match of the name's space-less key ("iagrai"), else of the longest run of words
   from that edge ("xa ia grai muon lam cccd").
5. Otherwise rapidfuzz `fuzz.ratio` on space-less keys (`process.extract`).
6. A province word can also be part of a commune name ("phuong lao cai", "xa duc hue"): an
   exact name that contains the whole "province" mention wins over a non-exact reading.

Decisions (cut-offs chosen with bench/bench_places.py on queries made from all communes):

- "found": one commune matches exactly, or its fuzzy score is >= FOUND_SCORE and at least
  FOUND_GAP above the next name, or (inside a province) it is LONE_GAP above anything else.
  Without a province, fuzzy matching needs a name of MIN_FUZZY_CHARS letters and a score of
  FOUND_SCORE even to be offered: "chao", "hello" or "thank you" are not commune names.
- "ambiguous": the name exists several times in scope (nationwide when no province was typed:
  then `needs_province`), or several fuzzy candidates are close. A type word typed by the
  citizen ("xa my tho") settles a xã/phường pair of the same name.
- "none": no candidate reaches CANDIDATE_SCORE, or the province typed has no such name.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rapidfuzz import fuzz, process

from intents.normalize import fold
from intents.place_data import (
    ALIASES_HEADER,
    POINTS_FILE,
    UNITS_HEADER,
    Commune,
    PlaceMatch,
    Province,
    default_places_dir,
    distance_km,
    read_csv,
    read_points,
)

__all__ = ["Commune", "PlaceMatch", "Places", "Province", "default_places_dir"]

MAX_CHARS = 500  # a commune and a province fit in 60 characters; messages rarely reach 300
MAX_NAME_WORDS = 6  # the longest name has 5 words ("Văn Miếu - Quốc Tử Giám")
MAX_PROVINCE_WORDS = 4  # "ba ria vung tau", "thu do ha noi"
FOUND_SCORE = 80.0  # one typo in a 6-letter key scores 83-92 with fuzz.ratio
FOUND_GAP = 8.0  # ... and the best must beat the next different name by this much
CANDIDATE_SCORE = 70.0  # below this a fuzzy candidate is noise ("y abc" vs "Đà Bắc": 67)
CANDIDATE_BAND = 12.0  # ambiguous: the candidates within this of the best
LONE_GAP = 20.0  # in a province, a weaker best with nothing else near is the answer ...
RUNNER_UP_SCORE = CANDIDATE_SCORE - LONE_GAP  # ... so runners-up are scored down to this
KIND_PENALTY = 5.0  # fuzzy score lost by a phường when the citizen typed "xã", and vice versa
MIN_FUZZY_CHARS = 6  # shorter keys are one edit away from too many names ("chao", "hello")

COMMUNE_TYPES: dict[tuple[str, ...], str | None] = {
    ("xa",): "Xã",
    ("x",): "Xã",
    ("phuong",): "Phường",
    ("p",): "Phường",
    ("ph",): "Phường",
    ("f",): "Phường",  # "f1", "f. 12": Southern shorthand for phường
    ("dac", "khu"): "Đặc khu",
    ("thi", "tran"): None,  # pre-2025 townships; most became a xã of the same name
}  # not "tt": fold() squeezes it to "t", which also abbreviates "tỉnh"
PROVINCE_TYPES: tuple[tuple[str, ...], ...] = (
    ("thanh", "pho"),
    ("thanhpho",),
    ("tp",),
    ("tinh",),
    ("t",),
)
_GLUED_TYPE = re.compile(r"^(xa|phuong|p|f)(\d+)$")  # "p1", "phuong12"
_DOUBLE = re.compile(r"([a-np-z])\1+")  # fold() squeezes "hh" typed in one word: "vinhhung"

Status = Literal["found", "ambiguous", "none"]
Edge = Literal["start", "end", "whole"]


@dataclass(frozen=True, slots=True)
class _Reading:
    """One reading of some words: the result, and which words an exact name covered."""

    status: Status
    candidates: tuple[Commune, ...]
    exact: bool = False
    window: tuple[int, int] = (0, 0)
    typed: bool = False  # a commune type word came right before the name


_NOTHING = _Reading("none", ())


def _key(words: Iterable[str]) -> str:
    """Space-less matching key: "ia grai" and "iagrai" meet."""
    return "".join(words)


def _squeezed(key: str) -> str | None:
    """The key as fold() leaves it when typed as one word ("vinhhung" -> "vinhung")."""
    squeezed = _DOUBLE.sub(r"\1", key)
    return squeezed if squeezed != key else None


def _tokens(text: str) -> list[str]:
    words: list[str] = []
    for word in fold(text[:MAX_CHARS]).split():
        glued = _GLUED_TYPE.match(word)
        words.extend(glued.groups() if glued else (word,))
    return words


class Places:
    """The provinces and communes of one deployment, with a fuzzy index over typed names."""

    def __init__(
        self,
        provinces: Sequence[Province],
        communes: Sequence[Commune],
        aliases: Mapping[str, str] | None = None,
        served: Collection[str] | None = None,
        points: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        """Index `communes`. `aliases` maps alias text to a province code; `served` limits
        the deployment to some province codes (all when None). All provinces are still
        recognised in text, so that "tphcm" is never read as part of a commune name.
        `points` maps commune codes to a (latitude, longitude) inside the commune, used to
        suggest communes near a shared location."""
        self._all_provinces = {p.code: p for p in provinces}
        served_codes = set(self._all_provinces) if served is None else set(served)
        self._provinces = tuple(p for p in provinces if p.code in served_codes)
        self._in_province: dict[str, list[Commune]] = {p.code: [] for p in self._provinces}
        self._by_code: dict[str, Commune] = {}
        self._key_of: dict[str, str] = {}
        self._exact: dict[str, list[Commune]] = {}
        self._squeezed: dict[str, list[Commune]] = {}
        self._numbered: dict[str, list[Commune]] = {}
        for commune in communes:
            if commune.province_code not in served_codes:
                continue
            words = fold(commune.short).split()
            key = _key(words)
            self._by_code[commune.code] = commune
            self._key_of[commune.code] = key
            self._in_province[commune.province_code].append(commune)
            self._exact.setdefault(key, []).append(commune)
            squeezed = _squeezed(key)
            if squeezed is not None:
                self._squeezed.setdefault(squeezed, []).append(commune)
            for word in words:
                if word.isdigit():
                    self._numbered.setdefault(word, []).append(commune)
        self._points = {
            code: point for code, point in (points or {}).items() if code in self._by_code
        }
        self._fuzzy_keys: dict[str | None, list[str]] = {None: sorted(self._exact)}
        for code, members in self._in_province.items():
            self._fuzzy_keys[code] = sorted({self._key_of[c.code] for c in members})
        self._province_words: dict[tuple[str, ...], str] = {}
        self._province_keys: dict[str, str] = {}
        self._province_squeezed: dict[str, str] = {}
        for text, code in [*((p.short, p.code) for p in provinces), *(aliases or {}).items()]:
            if code not in self._all_provinces:
                raise ValueError(f"alias {text!r} names an unknown province code {code!r}")
            spelled = tuple(fold(text).split())
            self._province_words.setdefault(spelled, code)
            for prefix in ("", "tinh", "tp", "thanhpho"):  # typed as one word
                self._province_keys.setdefault(_key((prefix, *spelled)), code)
            squeezed = _squeezed(_key(spelled))  # "khanhhoa" typed -> "khanhoa"
            if squeezed is not None and len(squeezed) >= MIN_FUZZY_CHARS:
                self._province_squeezed.setdefault(squeezed, code)

    @classmethod
    def load(cls, directory: Path | None = None, provinces: Collection[str] = ()) -> Places:
        """Read admin_units.csv (and province_aliases.csv when present) from `directory`,
        by default the shipped content/places.

        `provinces` limits the deployment to some provinces, each by code ("52") or by name in
        any form ("gia lai", "Tỉnh Gia Lai", "GIA LAI", a pre-2025 name such as "Bình Định");
        an unknown one raises ValueError naming it.
        """
        folder = default_places_dir() if directory is None else Path(directory)
        all_provinces: dict[str, Province] = {}
        communes: list[Commune] = []
        for row in read_csv(folder / "admin_units.csv", UNITS_HEADER):
            province = all_provinces.setdefault(
                row["province_code"],
                Province(row["province_code"], row["province_name"], row["province_short"]),
            )
            communes.append(
                Commune(
                    code=row["commune_code"],
                    name=row["commune_name"],
                    short=row["commune_short"],
                    kind=row["commune_type"],
                    province_code=province.code,
                    province_short=province.short,
                )
            )
        aliases: dict[str, str] = {}
        alias_path = folder / "province_aliases.csv"
        if alias_path.exists():
            for row in read_csv(alias_path, ALIASES_HEADER):
                aliases[row["alias"]] = row["province_code"]
        points = read_points(folder / POINTS_FILE)
        wanted = (provinces,) if isinstance(provinces, str) else tuple(provinces)
        if not wanted:
            return cls(list(all_provinces.values()), communes, aliases, points=points)
        names = cls(list(all_provinces.values()), (), aliases)  # provinces only: cheap
        served: list[str] = []
        for value in wanted:
            text = str(value).strip()
            code = text if text in all_provinces else names._named(text)
            if code is None:
                raise ValueError(f"unknown province: {value!r}")
            served.append(code)
        return cls(list(all_provinces.values()), communes, aliases, served, points)

    # -- lookups -------------------------------------------------------------------------

    @property
    def has_points(self) -> bool:
        """Whether shared locations can be turned into communes in this deployment."""
        return bool(self._points)

    def nearest(
        self, latitude: float, longitude: float, limit: int = 3, max_km: float = 15.0
    ) -> tuple[Commune, ...]:
        """Communes whose point is closest to a location, nearest first, within `max_km`.

        A point is not a boundary: the answer is a suggestion the citizen confirms.
        """
        ranked = sorted(
            (distance_km(latitude, longitude, *point), code)
            for code, point in self._points.items()
        )
        return tuple(self._by_code[code] for km, code in ranked[:limit] if km <= max_km)

    def commune(self, code: str) -> Commune | None:
        """The commune with this code ("00004"), if it is in the deployment."""
        return self._by_code.get(code)

    def province(self, code: str) -> Province | None:
        """The province with this code ("52"), if it is in the deployment."""
        return self._all_provinces.get(code) if code in self._in_province else None

    def provinces(self) -> tuple[Province, ...]:
        """The deployment's provinces, by code."""
        return self._provinces

    def communes_in(self, province_code: str) -> tuple[Commune, ...]:
        """The communes of one province of the deployment, by code; empty when unknown."""
        return tuple(self._in_province.get(province_code, ()))

    def find_province(self, text: str) -> Province | None:
        """The province mentioned last in `text` ("... tinh gia lai", "tphcm", "quang nam"),
        any of the 34 even outside the deployment; None when there is none."""
        if not isinstance(text, str):
            return None
        mention = self._mention(_tokens(text))
        return None if mention is None else self._all_provinces[mention[2]]

    def _named(self, text: str) -> str | None:
        """The code of the province whose name or alias is the whole `text`."""
        words = _tokens(text)
        mention = self._mention(words)
        if mention is None or mention[1] != len(words):
            return None
        before = tuple(words[: mention[0]])
        return mention[2] if not before or before in PROVINCE_TYPES else None

    def _mention(self, words: Sequence[str]) -> tuple[int, int, str] | None:
        """(start, end, code) of the rightmost province mention; the longest at that end."""
        for end in range(len(words), 0, -1):
            for start in range(max(0, end - MAX_PROVINCE_WORDS), end):
                window = tuple(words[start:end])
                code = self._province_words.get(window)
                if code is None and end - start == 1:  # "gialai", "tinhgialai", "khanhoa"
                    code = self._province_keys.get(window[0])
                    code = code or self._province_squeezed.get(window[0])
                if code is not None:
                    return start, end, code
        return None

    # -- search --------------------------------------------------------------------------

    def search(self, text: str, limit: int = 5) -> PlaceMatch:
        """Find the commune a citizen typed. Never raises; `limit` is kept within 2..20."""
        if not isinstance(text, str):
            return PlaceMatch("none", (), None, False)
        limit = min(max(limit, 2), 20)
        words = _tokens(text)
        mention = self._mention(words)
        if mention is None:
            return self._answer(self._read(words, None, "whole", limit, fuzzy=True), None)
        start, end, code = mention
        province = self._all_provinces[code]
        left = list(words[:start])
        for kind in PROVINCE_TYPES:
            if tuple(left[-len(kind) :]) == kind:
                del left[-len(kind) :]
                break
        first = _NOTHING
        if code in self._in_province:
            if left:  # "xa ia grai tinh gia lai": the name ends before the province
                first = self._read(left, code, "end", limit, fuzzy=True)
                if not first.exact and start > len(left):  # "xa tue tinh hai phong"
                    unstripped = self._read(words[:start], code, "end", limit, fuzzy=False)
                    first = unstripped if unstripped.exact else first
            else:  # "gia lai, xa ia grai"
                first = self._read(words[end:], code, "start", limit, fuzzy=True)
            if first.exact:
                return self._answer(first, province)
        # The "province" may be part of a name: "phuong lao cai", "xa duc hue".
        whole = self._read(words, None, "whole", limit, fuzzy=False)
        low, high = whole.window
        if (
            whole.exact
            and low <= start
            and high >= end
            and ((low, high) != (start, end) or whole.typed)
        ):
            return self._answer(whole, None)
        return self._answer(first, province)

    @staticmethod
    def _answer(reading: _Reading, province: Province | None) -> PlaceMatch:
        spread = len({c.province_code for c in reading.candidates}) > 1
        needs = province is None and reading.status == "ambiguous" and spread
        return PlaceMatch(reading.status, reading.candidates, province, needs)

    def _read(
        self, words: Sequence[str], scope: str | None, edge: Edge, limit: int, fuzzy: bool
    ) -> _Reading:
        """Read a commune name in `words`, searching province `scope` (None: everywhere).

        `edge` says where the name sits when no type word marks its start: at the "start"
        (after a province), at the "end" (before a province), or it is the "whole" text.
        A type word may also begin or end a name ("phuong liet", "hoa xa"): when `words` are
        exactly such a name, that beats a fuzzy reading after the type word.
        """
        kind, name_start = self._type_word(words)
        if not name_start:
            return self._read_span(words, 0, scope, None, edge, limit, fuzzy)
        typed = self._read_span(words, name_start, scope, kind, "start", limit, fuzzy)
        if typed.exact and typed.window == (name_start, len(words)):
            return typed
        if len(words) <= MAX_NAME_WORDS:  # the type word is part of the name
            hits = self._hits(_key(words), scope, None, single=False)
            if hits:
                return self._exact_reading(hits, (0, len(words)), False, limit)
        return typed

    def _read_span(
        self,
        words: Sequence[str],
        name_start: int,
        scope: str | None,
        kind: str | None,
        edge: Edge,
        limit: int,
        fuzzy: bool,
    ) -> _Reading:
        """Read the name in `words[name_start:]`: exactly, by a run from its edge, fuzzily."""
        typed = name_start > 0
        span = list(words[name_start:])
        if not span or (edge == "whole" and len(span) > MAX_NAME_WORDS):
            return _NOTHING
        if len(span) <= MAX_NAME_WORDS:
            hits = self._hits(_key(span), scope, kind, single=len(span) == 1)
            if not hits and len(span) == 1 and span[0].isdigit():  # "phuong 1"
                hits = self._prefer_kind(self._in_scope(self._numbered, span[0], scope), kind)
            if hits:
                return self._exact_reading(hits, (name_start, len(words)), typed, limit)
        window_hits, (low, high) = self._edge_window(span, scope, kind, edge)
        window = (low + name_start, high + name_start)
        if not fuzzy:
            if window_hits:
                return self._exact_reading(window_hits, window, typed, limit)
            return _NOTHING
        ranked = self._fuzzy(span, scope, kind, edge)
        if window_hits and (
            not ranked or ranked[0][0] < FOUND_SCORE or ranked[0][1] in window_hits
        ):
            return self._exact_reading(window_hits, window, typed, limit)
        # Anywhere in the country, only close matches count ("thank you" is not "Thanh Kỳ").
        return self._fuzzy_reading(ranked, limit, strict=scope is None)

    @staticmethod
    def _type_word(words: Sequence[str]) -> tuple[str | None, int]:
        """The commune type typed before the name, and where the name starts (0: no type)."""
        for position in range(len(words)):
            for size in (2, 1):
                typed = tuple(words[position : position + size])
                if len(typed) == size and typed in COMMUNE_TYPES:
                    return COMMUNE_TYPES[typed], position + size
        return None, 0

    @staticmethod
    def _in_scope(
        index: Mapping[str, list[Commune]], key: str, scope: str | None
    ) -> list[Commune]:
        return [c for c in index.get(key, ()) if scope is None or c.province_code == scope]

    def _hits(self, key: str, scope: str | None, kind: str | None, single: bool) -> list[Commune]:
        """Communes whose key is `key`; one typed word may have lost a double letter to fold()
        ("vinhhung" -> "vinhung"), which is trusted for long words or inside a province."""
        hits = self._in_scope(self._exact, key, scope)
        if not hits and single and (scope is not None or len(key) >= MIN_FUZZY_CHARS):
            hits = self._in_scope(self._squeezed, key, scope)
        return self._prefer_kind(hits, kind)

    @staticmethod
    def _prefer_kind(hits: list[Commune], kind: str | None) -> list[Commune]:
        """Keep the communes of the typed kind when there are some ("xa my tho")."""
        if kind is None or len(hits) < 2:
            return hits
        return [c for c in hits if c.kind == kind] or hits

    def _edge_window(
        self, span: Sequence[str], scope: str | None, kind: str | None, edge: Edge
    ) -> tuple[list[Commune], tuple[int, int]]:
        """The longest run of words from the name's edge that is exactly a name in scope."""
        if edge == "whole":
            return [], (0, 0)
        for size in range(min(len(span), MAX_NAME_WORDS), 0, -1):
            at = (0, size) if edge == "start" else (len(span) - size, len(span))
            hits = self._hits(_key(span[at[0] : at[1]]), scope, kind, single=False)
            if hits:
                return hits, at
        return [], (0, 0)

    def _fuzzy(
        self, span: Sequence[str], scope: str | None, kind: str | None, edge: Edge
    ) -> list[tuple[float, Commune]]:
        """Communes by fuzz.ratio of their key to the name typed, best first.

        The whole span is tried first; inside a province, runs of words from the name's edge
        ("xa ia grsi nhe" -> "iagrsi") only when the whole span matched nothing well.
        """
        keys = self._fuzzy_keys.get(scope, [])
        shortest = 3 if scope is not None else MIN_FUZZY_CHARS
        queries: list[str] = []
        if len(span) <= MAX_NAME_WORDS and len(_key(span)) >= shortest:
            queries.append(_key(span))
        if scope is not None and edge != "whole":
            sizes = range(min(len(span), MAX_NAME_WORDS), 0, -1)
            runs = (_key(span[:n] if edge == "start" else span[-n:]) for n in sizes)
            queries += [run for run in runs if len(run) >= MIN_FUZZY_CHARS]
        scores: dict[str, float] = {}
        for query in dict.fromkeys(queries):
            if scores and max(scores.values()) >= FOUND_SCORE:
                break  # the longer query already matched well; shorter ones only add noise
            for key, score, _ in process.extract(
                query, keys, scorer=fuzz.ratio, limit=10, score_cutoff=RUNNER_UP_SCORE
            ):
                scores[key] = max(score, scores.get(key, 0.0))
        ranked: list[tuple[float, Commune]] = []
        for key, score in scores.items():
            for commune in self._in_scope(self._exact, key, scope):
                penalty = KIND_PENALTY if kind is not None and commune.kind != kind else 0.0
                ranked.append((score - penalty, commune))
        ranked.sort(key=lambda item: (-item[0], item[1].province_code, item[1].code))
        return ranked

    @staticmethod
    def _exact_reading(
        hits: Sequence[Commune], window: tuple[int, int], typed: bool, limit: int
    ) -> _Reading:
        ordered = tuple(sorted(hits, key=lambda c: (c.province_code, c.code))[:limit])
        status: Status = "found" if len(ordered) == 1 else "ambiguous"
        return _Reading(status, ordered, exact=True, window=window, typed=typed)

    def _fuzzy_reading(
        self, ranked: Sequence[tuple[float, Commune]], limit: int, strict: bool
    ) -> _Reading:
        if not ranked or ranked[0][0] < (FOUND_SCORE if strict else CANDIDATE_SCORE):
            return _NOTHING
        best_score, best = ranked[0]
        best_key = self._key_of[best.code]
        same = [c for s, c in ranked if s == best_score and self._key_of[c.code] == best_key]
        others = [s for s, c in ranked if c not in same]
        gap = best_score - (others[0] if others else 0.0)
        if len(same) == 1 and (
            (best_score >= FOUND_SCORE and gap >= FOUND_GAP) or (gap >= LONE_GAP and not strict)
        ):
            return _Reading("found", (best,))
        floor = max(CANDIDATE_SCORE, best_score - CANDIDATE_BAND)
        near = tuple(c for s, c in ranked if s >= floor)[:limit]
        return _Reading("ambiguous", near) if len(near) >= 2 else _NOTHING
