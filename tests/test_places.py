"""The municipalities after the 2025 mergers: the shipped data, lookups, proximity, loading."""

from __future__ import annotations

import importlib.util
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from app.domain.places import (
    DEFAULT_PATH,
    Municipality,
    Places,
    PlacesDataError,
    Proximity,
    collation_key,
    load_places,
    normalize,
    read_municipalities,
)

FLEMISH_PROVINCES = {"Antwerpen", "Limburg", "Oost-Vlaanderen", "Vlaams-Brabant", "West-Vlaanderen"}

# The thirteen Flemish mergers of 1 January 2025: new name -> the municipalities it replaced.
MERGERS_2025 = {
    "Antwerpen": ("Antwerpen", "Borsbeek"),
    "Beveren-Kruibeke-Zwijndrecht": ("Beveren", "Kruibeke", "Zwijndrecht"),
    "Bilzen-Hoeselt": ("Bilzen", "Hoeselt"),
    "Hasselt": ("Hasselt", "Kortessem"),
    "Lochristi": ("Lochristi", "Wachtebeke"),
    "Lokeren": ("Lokeren", "Moerbeke"),
    "Merelbeke-Melle": ("Merelbeke", "Melle"),
    "Nazareth-De Pinte": ("Nazareth", "De Pinte"),
    "Pajottegem": ("Galmaarden", "Gooik", "Herne"),
    "Tessenderlo-Ham": ("Tessenderlo", "Ham"),
    "Tielt": ("Tielt", "Meulebeke"),
    "Tongeren-Borgloon": ("Tongeren", "Borgloon"),
    "Wingene": ("Wingene", "Ruiselede"),
}

HEADER = "nis,name,province,arrondissement,postcodes,former,other_names\n"
GOOD_ROW = "13008,Geel,Antwerpen,Turnhout,2440,,\n"


@pytest.fixture(scope="module")
def places() -> Places:
    return load_places()


def _get(places: Places, name: str) -> Municipality:
    found = places.find(name)
    assert found is not None, name
    return found


# --- the shipped data ---------------------------------------------------------------------


def test_counts_285_flemish_and_19_brussels(places: Places) -> None:
    provinces = Counter(m.province for m in places.all())
    assert len(places) == len(places.all()) == 304
    assert sum(provinces[p] for p in FLEMISH_PROVINCES) == 285
    assert provinces["Brussel"] == 19
    assert set(provinces) == FLEMISH_PROVINCES | {"Brussel"}
    assert provinces == {
        "Antwerpen": 67,
        "Limburg": 38,
        "Oost-Vlaanderen": 55,
        "Vlaams-Brabant": 63,
        "West-Vlaanderen": 62,
        "Brussel": 19,
    }


def test_codes_are_unique_refnis_codes_starting_with_the_arrondissement(places: Places) -> None:
    codes = [m.nis for m in places.all()]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 5 and c.isdigit() for c in codes)
    arrondissements: dict[str, set[str]] = {}
    for m in places.all():
        arrondissements.setdefault(m.nis[:2], set()).add(m.arrondissement)
        assert places.by_nis(m.nis) is m
    assert all(len(names) == 1 for names in arrondissements.values())
    assert len(arrondissements) == 23  # 22 Flemish arrondissements and Brussels


def test_all_is_sorted_by_dutch_collation(places: Places) -> None:
    names = [m.name for m in places.all()]
    assert names == sorted(names, key=collation_key)
    assert names[0] == "Aalst"
    assert names.index("De Haan") < names.index("Deerlijk") < names.index("Zwevegem")


def test_geel_and_westerlo_are_in_arrondissement_turnhout(places: Places) -> None:
    for name, postcode in (("Geel", "2440"), ("Westerlo", "2260")):
        m = _get(places, name)
        assert (m.province, m.arrondissement) == ("Antwerpen", "Turnhout")
        assert postcode in m.postcodes
        assert places.find(postcode) is m


def test_leuven(places: Places) -> None:
    leuven = _get(places, "Leuven")
    assert leuven.province == "Vlaams-Brabant"
    assert leuven.arrondissement == "Leuven"
    assert leuven.postcodes == ("3000", "3001", "3010", "3012", "3018")
    assert leuven.nis == "24062"


@pytest.mark.parametrize(("merged", "former"), sorted(MERGERS_2025.items()))
def test_2025_mergers(places: Places, merged: str, former: tuple[str, ...]) -> None:
    m = _get(places, merged)
    assert m.name == merged
    assert set(m.former) == set(former) - {merged}
    for old in former:
        assert places.find(old) is m
    assert all(old == merged or old not in {x.name for x in places.all()} for old in former)


def test_merged_municipalities_got_new_codes(places: Places) -> None:
    assert _get(places, "Pajottegem").nis == "23106"
    assert _get(places, "Merelbeke-Melle").nis == "44088"
    assert _get(places, "Tessenderlo-Ham").nis == "71071"
    assert _get(places, "Hasselt").nis == "71072"
    # Antwerpen absorbed Borsbeek and kept its code.
    assert _get(places, "Antwerpen").nis == "11002"
    merged_rows = [m for m in places.all() if m.former]
    assert {m.name for m in merged_rows} == set(MERGERS_2025)


def test_municipalities_that_changed_arrondissement_or_province_in_2025(places: Places) -> None:
    zwijndrecht = _get(places, "Zwijndrecht")
    assert zwijndrecht.name == "Beveren-Kruibeke-Zwijndrecht"
    assert (zwijndrecht.province, zwijndrecht.arrondissement) == ("Oost-Vlaanderen", "Sint-Niklaas")
    assert "2070" in zwijndrecht.postcodes
    assert _get(places, "Kortessem").arrondissement == "Hasselt"
    assert _get(places, "Moerbeke").arrondissement == "Sint-Niklaas"


def test_brussels_has_dutch_names_and_one_arrondissement(places: Places) -> None:
    brussels = [m for m in places.all() if m.province == "Brussel"]
    assert {m.arrondissement for m in brussels} == {"Brussel-Hoofdstad"}
    assert {"Brussel", "Elsene", "Schaarbeek", "Sint-Jans-Molenbeek", "Ukkel"} <= {
        m.name for m in brussels
    }
    assert all(m.nis.startswith("21") for m in brussels)


def test_every_name_former_name_and_other_name_points_to_one_municipality(
    places: Places,
) -> None:
    owners: dict[str, set[str]] = {}
    for m in places.all():
        for name in (m.name, *m.former, *m.other_names):
            owners.setdefault(normalize(name), set()).add(m.nis)
            assert places.find(name) is m, name
    assert all(len(nis) == 1 for nis in owners.values())


# Postcodes that Statbel assigns to two municipalities; `find` returns the one with fewer
# postcodes (for which the code is the more characteristic one), and `by_postcode` lists both.
SHARED_POSTCODES = {
    "1040": ("Etterbeek", "Brussel"),
    "1050": ("Elsene", "Brussel"),
    "1804": ("Vilvoorde", "Zemst"),
}


def test_every_postcode_resolves_to_a_municipality_that_lists_it(places: Places) -> None:
    shared = {}
    for m in places.all():
        for code in m.postcodes:
            found = places.find(code)
            assert found is not None and code in found.postcodes
            owners = places.by_postcode(code)
            assert m in owners and owners[0] is found
            if len(owners) > 1:
                shared[code] = tuple(o.name for o in owners)
            else:
                assert found is m
    assert shared == SHARED_POSTCODES


# --- find ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sint-Niklaas", "Sint-Niklaas"),
        ("sint niklaas", "Sint-Niklaas"),
        ("  SINT   NIKLAAS ", "Sint-Niklaas"),
        ("sintniklaas", "Sint-Niklaas"),
        ("St-Niklaas", "Sint-Niklaas"),
        ("St. Truiden", "Sint-Truiden"),
        ("heist op den berg", "Heist-op-den-Berg"),
        ("Ham", "Tessenderlo-Ham"),
        ("tessenderlo ham", "Tessenderlo-Ham"),
        ("2440", "Geel"),
        (" 2260 ", "Westerlo"),
        ("2440 Geel", "Geel"),
        ("B-2440 Geel", "Geel"),
        ("Geel (2440)", "Geel"),
        ("3000 Heverlee", "Leuven"),  # an unknown place name falls back to its postcode
        ("Bruxelles", "Brussel"),
        ("Ixelles", "Elsene"),
        ("Rhode-Saint-Genèse", "Sint-Genesius-Rode"),
        ("rhode saint genese", "Sint-Genesius-Rode"),
        ("Fourons", "Voeren"),
        ("Galmaarden", "Pajottegem"),
        ("Tielt", "Tielt"),
        ("Tielt-Winge", "Tielt-Winge"),
        ("de pinte", "Nazareth-De Pinte"),
    ],
)
def test_find(places: Places, text: str, expected: str) -> None:
    found = places.find(text)
    assert found is not None and found.name == expected


@pytest.mark.parametrize("text", [None, "", "   ", "Atlantis", "0000", "12345", "Namen", "Liège"])
def test_find_unknown_is_none(places: Places, text: str | None) -> None:
    assert places.find(text) is None


def test_normalize() -> None:
    assert normalize("Sint-Niklaas") == normalize("sint niklaas") == normalize("ST. NIKLAAS")
    assert normalize("Rhode-Saint-Genèse") == normalize("rhode saint genese")
    assert normalize("  Heist - op - den - Berg ") == "heistopdenberg"


def test_by_nis(places: Places) -> None:
    assert places.by_nis("13008") is _get(places, "Geel")
    assert places.by_nis("99999") is None
    assert places.by_nis("11007") is None  # Borsbeek's code ended with the 2025 merger


# --- suggest ------------------------------------------------------------------------------


def test_suggest_a_typo(places: Places) -> None:
    assert places.suggest("Westrlo")[0].name == "Westerlo"
    assert places.suggest("Sint Niklas")[0].name == "Sint-Niklaas"
    assert places.suggest("Merelbeek")[0].name == "Merelbeke-Melle"


def test_suggest_limits_and_empty(places: Places) -> None:
    assert places.suggest("") == []
    assert places.suggest("Westrlo", limit=0) == []
    assert places.suggest("qqqqqqqq") == []
    many = places.suggest("Sint", limit=3)
    assert len(many) <= 3
    assert len({m.nis for m in many}) == len(many)


def test_suggest_a_postcode(places: Places) -> None:
    assert _get(places, "Geel") in places.suggest("2441")
    assert all(any(c.startswith("30") for c in m.postcodes) for m in places.suggest("30"))


# --- proximity and labels -----------------------------------------------------------------


def test_proximity_ordering(places: Places) -> None:
    geel, westerlo = _get(places, "Geel"), _get(places, "Westerlo")
    mechelen, gent = _get(places, "Mechelen"), _get(places, "Gent")
    assert places.proximity(geel, geel) is Proximity.same
    assert places.proximity(geel, westerlo) is Proximity.arrondissement
    assert places.proximity(geel, mechelen) is Proximity.province
    assert places.proximity(geel, gent) is Proximity.far
    assert Proximity.same < Proximity.arrondissement < Proximity.province < Proximity.far
    ranked = sorted([gent, mechelen, westerlo, geel], key=lambda m: places.proximity(geel, m))
    assert ranked == [geel, westerlo, mechelen, gent]


def test_proximity_is_symmetric_and_brussels_borders_its_ring(places: Places) -> None:
    brussel, elsene = _get(places, "Brussel"), _get(places, "Elsene")
    vilvoorde = _get(places, "Vilvoorde")
    assert places.proximity(brussel, elsene) is Proximity.arrondissement
    assert places.proximity(brussel, vilvoorde) is Proximity.province
    for a, b in ((brussel, vilvoorde), (elsene, brussel)):
        assert places.proximity(a, b) is places.proximity(b, a)


def test_region_label(places: Places) -> None:
    geel, elsene = _get(places, "Geel"), _get(places, "Elsene")
    assert places.region_label(geel) == "arrondissement Turnhout"
    assert places.region_label(geel, Proximity.province) == "provincie Antwerpen"
    assert places.region_label(geel, Proximity.same) == "Geel"
    assert places.region_label(elsene) == "Brussels Hoofdstedelijk Gewest"
    assert places.region_label(elsene, Proximity.province) == "Brussels Hoofdstedelijk Gewest"


# --- loading ------------------------------------------------------------------------------


def test_default_is_cached_and_loading_is_fast() -> None:
    assert load_places() is load_places()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        fresh = load_places(DEFAULT_PATH)
        best = min(best, time.perf_counter() - start)
    assert len(fresh) == 304
    assert best < 0.020


def test_a_custom_file(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(HEADER + GOOD_ROW, encoding="utf-8")
    places = load_places(path)
    assert [m.name for m in places.all()] == ["Geel"]
    # The column of other names is optional.
    path.write_text(HEADER.replace(",other_names", "") + GOOD_ROW[:-2] + "\n", encoding="utf-8")
    assert load_places(path).find("2440") is not None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("nis,name\n13008,Geel\n", "missing column(s) province, arrondissement"),
        (HEADER.replace("\n", ",extra\n"), "unknown column(s) extra"),
        (HEADER + GOOD_ROW + "1300,Mol,Antwerpen,Turnhout,2400,,\n", "row 3: nis '1300'"),
        (HEADER + "13025,Mol,Namen,Turnhout,2400,,\n", "row 2: unknown province 'Namen'"),
        (HEADER + "13025,Mol,Antwerpen,Turnhout,24OO,,\n", "row 2: postcode '24OO'"),
        (HEADER + "13025,Mol,Antwerpen,Turnhout,,,\n", "row 2: no postcode"),
        (HEADER + "13025,,Antwerpen,Turnhout,2400,,\n", "row 2: empty name"),
        (HEADER + "13025,Mol,Antwerpen,Turnhout\n", "row 2: wrong number of fields"),
        (HEADER + GOOD_ROW + GOOD_ROW, "row 3: REFNIS code of 'Geel' repeats row 2"),
        (HEADER + GOOD_ROW + "13099,geel,Antwerpen,Turnhout,2441,,\n", "row 3: name of 'geel'"),
        (HEADER, "no municipalities"),
    ],
)
def test_invalid_file_names_file_and_row(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PlacesDataError) as error:
        load_places(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(PlacesDataError, match="cannot read"):
        read_municipalities(tmp_path / "missing.csv")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes((HEADER + "21001,Liège,Brussel,X,1000,,\n").encode("latin-1"))
    with pytest.raises(PlacesDataError, match="not a UTF-8 CSV"):
        read_municipalities(latin1)


# --- the generator ------------------------------------------------------------------------


def _generator() -> ModuleType:
    path = DEFAULT_PATH.parent / "make_municipalities.py"
    spec = importlib.util.spec_from_file_location("make_municipalities", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses resolve their annotations through sys.modules.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_shipped_csv_matches_the_generator_tables(places: Places) -> None:
    generator = _generator()
    header = DEFAULT_PATH.read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(generator.COLUMNS)
    assert {m.arrondissement for m in places.all()} == set(generator.ARRONDISSEMENTS.values())
    for merged in generator.MERGERS_2025:
        m = places.by_nis(merged.nis)
        assert m is not None and m.name == merged.name
        assert merged.postcode in m.postcodes
        assert merged.former_name == m.name or merged.former_name in m.former
        assert places.by_nis(merged.former_nis) in (None, m)


@pytest.mark.parametrize(
    ("a", "b"),
    [("Brussel", "Vilvoorde"), ("Etterbeek", "Zaventem"), ("Antwerpen", "Zwijndrecht")],
)
def test_neighbours_across_a_provincial_border_are_nearby(a: str, b: str) -> None:
    places = load_places()
    first, second = places.find(a), places.find(b)
    assert first is not None and second is not None
    assert places.proximity(first, second) is Proximity.province
    assert places.proximity(second, first) is Proximity.province


def test_distant_provinces_stay_far() -> None:
    places = load_places()
    pairs = [("Brussel", "Leuven"), ("Tienen", "Sint-Truiden"), ("Gent", "Brugge")]
    for a, b in pairs:
        first, second = places.find(a), places.find(b)
        assert first is not None and second is not None
        assert places.proximity(first, second) is Proximity.far
