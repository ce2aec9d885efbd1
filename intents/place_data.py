"""The places' data: provinces and communes as typed values, and the CSV files they come from.

`intents/places.py` builds its index and search over these; this module only reads and checks
the shipped files (`content/places/`): headers, empty fields, coordinates.
"""

from __future__ import annotations

import csv
import importlib.util
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "ALIASES_HEADER",
    "POINTS_FILE",
    "UNITS_HEADER",
    "Commune",
    "PlaceMatch",
    "Province",
    "default_places_dir",
    "distance_km",
    "read_csv",
    "read_points",
]


@dataclass(frozen=True, slots=True)
class Province:
    """A province or centrally-run city: name "Tỉnh Gia Lai", short "Gia Lai"."""

    code: str
    name: str
    short: str


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune (xã), ward (phường) or special zone (đặc khu); `kind` is one of those words."""

    code: str
    name: str
    short: str
    kind: str
    province_code: str
    province_short: str

    @property
    def label(self) -> str:
        """What a citizen sees on a button: "Xã Ia Grai, Gia Lai"."""
        return f"{self.name}, {self.province_short}"


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """What `Places.search` understood.

    `candidates` are best first: one when found, 2..limit when ambiguous, none otherwise.
    `province` is the province mentioned in the text, if any. It may lie outside a deployment
    limited to some provinces: then `Places.province(code)` is None and status is "none".
    `needs_province` is True when the name exists in several provinces and none was given.
    """

    status: Literal["found", "ambiguous", "none"]
    candidates: tuple[Commune, ...]
    province: Province | None
    needs_province: bool


def default_places_dir() -> Path:
    """The `places` folder shipped inside the `content` package (found without importing it)."""
    spec = importlib.util.find_spec("content")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the content package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "places"


UNITS_HEADER = (
    "province_code",
    "province_name",
    "province_short",
    "commune_code",
    "commune_name",
    "commune_short",
    "commune_type",
)
ALIASES_HEADER = ("alias", "province_code")


def read_csv(path: Path, header: Sequence[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != tuple(header):
            raise ValueError(f"{path}: expected the header {','.join(header)}")
        rows = list(reader)
    for number, row in enumerate(rows, start=2):
        if any(not (row.get(column) or "").strip() for column in header):
            raise ValueError(f"{path}, line {number}: empty field")
    return rows


POINTS_FILE = "commune_points.csv"
_POINTS_HEADER = ("commune_code", "latitude", "longitude")


def read_points(path: Path) -> dict[str, tuple[float, float]]:
    """The optional points file: one (latitude, longitude) per commune code."""
    if not path.exists():
        return {}
    points: dict[str, tuple[float, float]] = {}
    for line, row in enumerate(read_csv(path, _POINTS_HEADER), start=2):
        try:
            latitude, longitude = float(row["latitude"]), float(row["longitude"])
        except ValueError:
            raise ValueError(
                f"{path}, line {line}: latitude and longitude must be numbers"
            ) from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError(f"{path}, line {line}: coordinates out of range")
        points[row["commune_code"]] = (latitude, longitude)
    return points


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))
