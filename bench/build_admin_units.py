"""Regenerate content/places/*.csv from the MIT-licensed `vietnamadminunits` wheel.

The package is *not* a dependency of the project (it pulls GPL Unidecode, shapely and geopy);
only its SQLite data is converted, once, into two small UTF-8 CSV files:

- `admin_units.csv`: the 3,321 communes/wards/special zones in force since 1 July 2025, with
  their province (34), sorted by province code then commune code;
- `province_aliases.csv`: names citizens still type for a province: the 63 pre-2025 provinces
  mapped to the province they were merged into ("Quảng Nam" → Đà Nẵng), and abbreviations.

Usage:
    pip download --no-deps -d /tmp/vau vietnamadminunits
    python bench/build_admin_units.py /tmp/vau/vietnamadminunits-1.0.4-py3-none-any.whl

The commune type is taken from the official name ("Phường Việt Hòa" → Phường): in 1.0.4 the
`wardType` column disagrees with the name for four rows (codes 10543, 11848, 31213, 31299), and
the name agrees with the other published data set (`vietnam-provinces`).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sqlite3
import tempfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from intents.normalize import fold

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "content" / "places"
HEADER = [
    "province_code",
    "province_name",
    "province_short",
    "commune_code",
    "commune_name",
    "commune_short",
    "commune_type",
]
TYPES = ("Xã", "Phường", "Đặc khu")
EXPECTED_PROVINCES = 34
EXPECTED_COMMUNES = 3321

# Abbreviations and colloquial names, by the code of the province (post-2025) they mean.
# Only unambiguous ones: "dn" (Đà Nẵng, Đồng Nai, Đắk Nông) or "hp" are left out on purpose,
# and so is "TT Huế"/"TTH": fold() squeezes "tt" to "t", and "th" is a common abbreviation.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "01": ("HN", "TP HN", "Thủ đô Hà Nội"),
    "79": ("HCM", "TPHCM", "TP HCM", "HCMC", "Sài Gòn", "SG", "TP Sài Gòn", "BRVT"),
    "46": ("Thừa Thiên Huế", "Thừa Thiên - Huế"),
    "66": ("Đắc Lắc", "Đăk Lăk"),
    "68": ("Đắc Nông",),
}


def read_wheel(wheel: Path, workdir: Path) -> tuple[str, Path, dict[str, list[str]], str]:
    """Extract dataset.db and the province conversion table; return version, db, map, license."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        version = next(
            line.split(":", 1)[1].strip()
            for line in archive.read(metadata).decode("utf-8").splitlines()
            if line.startswith("Version:")
        )
        license_name = next(n for n in names if n.endswith("LICENSE"))
        license_text = archive.read(license_name).decode("utf-8")
        db = workdir / "dataset.db"
        db.write_bytes(archive.read("vietnamadminunits/data/dataset.db"))
        converter = json.loads(archive.read("vietnamadminunits/data/converter_2025.json"))
    copyright_line = next(
        line.strip() for line in license_text.splitlines() if line.startswith("Copyright")
    )
    return version, db, converter["DICT_PROVINCE"], copyright_line


def commune_rows(db: sqlite3.Connection) -> list[list[str]]:
    rows: list[list[str]] = []
    query = (
        "SELECT provinceCode, province, provinceShort, wardCode, ward, wardShort, wardType "
        "FROM admin_units"
    )
    for pcode, pname, pshort, wcode, wname, wshort, wtype in db.execute(query):
        kind = next((t for t in TYPES if wname.startswith(t + " ")), None)
        if kind is None or wname != f"{kind} {wshort}":
            raise SystemExit(f"unexpected commune name {wname!r} / {wshort!r} ({wcode})")
        if kind != wtype:
            print(f"note: {wcode} {wname!r}: wardType {wtype!r} disagrees, using {kind!r}")
        rows.append([pcode, pname, pshort, wcode, wname, wshort, kind])
    rows.sort(key=lambda r: (r[0], r[3]))
    return rows


def alias_rows(
    db: sqlite3.Connection, rows: list[list[str]], merged: dict[str, list[str]]
) -> list[tuple[str, str]]:
    new_codes = dict(db.execute("SELECT DISTINCT provinceKey, provinceCode FROM admin_units"))
    legacy_names: dict[str, str] = dict(
        db.execute("SELECT DISTINCT provinceKey, provinceShort FROM admin_units_legacy")
    )
    shorts = {fold(r[2]): r[0] for r in rows}
    aliases: dict[str, tuple[str, str]] = {}  # folded alias -> (alias, code)

    def add(alias: str, code: str) -> None:
        key = fold(alias)
        if shorts.get(key, code) != code:
            raise SystemExit(f"alias {alias!r} names another province")
        if key in shorts or (key in aliases and aliases[key][1] == code):
            return
        if key in aliases:
            raise SystemExit(f"alias {alias!r} maps to two provinces")
        aliases[key] = (alias, code)

    for new_key, legacy_keys in sorted(merged.items()):
        code = new_codes[new_key]
        for legacy_key in legacy_keys:
            add(legacy_names[legacy_key], code)
            if " - " in legacy_names[legacy_key]:  # Bà Rịa - Vũng Tàu: each half is used alone
                for half in legacy_names[legacy_key].split(" - "):
                    add(half, code)
    for code, names in ABBREVIATIONS.items():
        for name in names:
            add(name, code)
    return sorted(aliases.values(), key=lambda a: (a[1], fold(a[0])))


def verify(rows: list[list[str]]) -> None:
    provinces = {r[0] for r in rows}
    codes = {r[3] for r in rows}
    if len(provinces) != EXPECTED_PROVINCES or len(rows) != EXPECTED_COMMUNES:
        raise SystemExit(
            f"expected 34 provinces, 3,321 communes: got {len(provinces)}, {len(rows)}"
        )
    if len(codes) != len(rows):
        raise SystemExit("duplicate commune codes")
    kinds = Counter(r[6] for r in rows)
    cities = sorted(r[1] for r in {r[0]: r for r in rows}.values() if r[1].startswith("Thành"))
    print(
        f"{len(provinces)} provinces ({len(cities)} cities), {len(rows)} communes, {dict(kinds)}"
    )


def write_csv(path: Path, header: list[str], rows: Sequence[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {path}: {len(rows)} rows, {path.stat().st_size:,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="vietnamadminunits-*.whl from `pip download`")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    digest = hashlib.sha256(args.wheel.read_bytes()).hexdigest()
    with tempfile.TemporaryDirectory() as tmp:
        version, db_path, merged, copyright_line = read_wheel(args.wheel, Path(tmp))
        db = sqlite3.connect(db_path)
        try:
            rows = commune_rows(db)
            verify(rows)
            aliases = alias_rows(db, rows, merged)
        finally:
            db.close()
    print(f"vietnamadminunits {version}, sha256 {digest}\n{copyright_line}")
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(args.out / "admin_units.csv", HEADER, rows)
    write_csv(args.out / "province_aliases.csv", ["alias", "province_code"], aliases)


if __name__ == "__main__":
    main()
