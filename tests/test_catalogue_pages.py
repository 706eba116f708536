"""The public catalogue (issue 11): /aanbod searches and filters, /aanbod/{id} tells what an
initiative is, and /api/v1/initiatives/search is the same search in JSON."""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.catalogue.freshness import is_stale, months_before, today_in_belgium
from app.catalogue.matching import place_of
from app.catalogue.models import Initiative
from app.catalogue.records import InitiativeRecord
from app.catalogue.search import SearchIndex, SearchQuery, _Column, fold, terms_of
from app.core.config import Settings
from app.domain.places import PROVINCES, load_places
from app.landscape.facets import FACETS, facet_ids, values_of
from app.main import create_app
from tests.conftest import CATALOGUE_CSV, database_for, post_form

TODAY = today_in_belgium()  # as the page counts
FRESH = months_before(TODAY, 12)  # exactly the period ago: still fresh
STALE = FRESH - timedelta(days=1)
HX = {"HX-Request": "true"}

# Rows added to the shipped catalogue: contact details, accents, places near and far.
EXTRA = [
    {
        "name": "Buurtcafé De Kring",
        "description": "Elke woensdag koffie en een babbel voor wie alleen woont.",
        "goal": "Buren leren elkaar kennen rond een zonnebloemveld.",
        "website": "https://kring.example.be/cafe",
        "municipality": "Gent",
        "postcode": "9000",
        "geographic_level": "local",
        "primary_actor": "community_work",
        "elements": "meeting;social_activities",
        "prevention_levels": "primary",
        "dimensions": "social",
        "age_groups": "older;adults",
        "risk_factors": "living_alone",
        "approach": "organised",
        "effect_ladder": "2",
        "phone": "09 123 45 67",
        "email": "info@kring.example.be",
        "address": "Kerkstraat 1, 9000 Gent",
        "last_verified": FRESH.isoformat(),
    },
    {
        "name": "Wandelgroep Merelbeke",
        "description": "Samen wandelen met een vrijwilliger; de tocht eindigt in een café.",
        "goal": "Beweging en contact.",
        "municipality": "Merelbeke-Melle",
        "geographic_level": "local",
        "elements": "leisure",
        "age_groups": "older",
        "last_verified": STALE.isoformat(),
    },
    {
        "name": "Rouwgroep Hasselt",
        "description": "Praatgroep na het overlijden van een partner.",
        "goal": "Steun bij verlies.",
        "municipality": "Hasselt",
        "geographic_level": "supralocal",
        "elements": "social_support;psychoeducation",
        "age_groups": "adults;older",
        "risk_factors": "partner_loss",
        "course": "transient",
        "approach": "self_with_support",
        "effect_ladder": "1",
    },
]


def _catalogue_csv(path: Path) -> Path:
    text = CATALOGUE_CSV.read_text(encoding="utf-8")
    columns = next(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    for row in EXTRA:
        writer.writerow({c: row.get(c, "") for c in columns})
    target = path / "catalogue.csv"
    target.write_text(text.rstrip("\n") + "\n" + out.getvalue(), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database for the module's tests (SQLite, or a PostgreSQL schema)."""
    with database_for(request, tmp_path_factory.mktemp("aanbod-db"), "ezw_aanbod") as url:
        yield url


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("aanbod")
    settings_ = Settings(database_url=database_url, catalogue_csv=_catalogue_csv(tmp))
    with TestClient(create_app(settings_), raise_server_exceptions=False) as c:
        yield c


def names(html: str) -> list[str]:
    """The names on the list of results, in order."""
    found = re.findall(
        r'<li class="card search-hit"[^>]*>\s*<h3><a href="/aanbod/\d+">(.*?)</a>', html
    )
    return [unescape(n) for n in found]


def total(html: str) -> int:
    match = re.search(r'id="result-count" role="status"><strong>(\d+) initiatie', html)
    assert match, "no result count on the page"
    return int(match.group(1))


def id_of(client: TestClient, name: str) -> int:
    r = client.get("/api/v1/initiatives/search", params={"q": name, "limit": 1})
    return int(r.json()["items"][0]["id"])


# Search ------------------------------------------------------------------------------------


def test_the_page_lists_the_whole_catalogue_by_name(client: TestClient) -> None:
    r = client.get("/aanbod")
    assert r.status_code == 200
    assert total(r.text) == 22
    shown = names(r.text)
    assert len(shown) == 20  # one page
    assert shown == sorted(shown, key=fold)
    assert "op naam" in r.text
    assert '<form class="catalogue-form" method="get" action="/aanbod"' in r.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Kring", "Buurtcafé De Kring"),  # name
        ("babbel", "Buurtcafé De Kring"),  # description
        ("zonnebloemveld", "Buurtcafé De Kring"),  # goal only
        ("cafe", "Buurtcafé De Kring"),  # without the accent
        ("CAFÉ", "Buurtcafé De Kring"),  # capitals and accent
        ("overlijden partner", "Rouwgroep Hasselt"),  # every word, in any field
    ],
)
def test_search_finds_name_description_and_goal(
    client: TestClient, query: str, expected: str
) -> None:
    r = client.get("/aanbod", params={"q": query})
    assert expected in names(r.text)
    assert f'value="{query}"' in r.text  # the query stays in the field


def test_search_ranks_the_name_above_the_description(client: TestClient) -> None:
    # "café" is in the Kring's name and in the walking group's description only.
    r = client.get("/aanbod", params={"q": "café"})
    assert names(r.text)[:2] == ["Buurtcafé De Kring", "Wandelgroep Merelbeke"]
    assert "best passend eerst" in r.text


def test_every_word_must_be_found(client: TestClient) -> None:
    r = client.get("/aanbod", params={"q": "kring hasselt"})
    assert total(r.text) == 0
    assert 'id="no-results"' in r.text


def test_a_facet_filter_narrows_and_counts(client: TestClient) -> None:
    r = client.get("/aanbod", params={"elements": "animal_assisted"})
    assert names(r.text) == ["AAP vzw"]
    assert 'value="animal_assisted" checked' in r.text
    # The count beside a value: what the search finds with it.
    assert re.search(r'for="c-elements-animal_assisted">[^<]*<span class="count">\(1\)', r.text)


def test_values_of_one_facet_add_up_and_facets_combine(client: TestClient) -> None:
    either = client.get(
        "/aanbod", params=[("risk_factors", "living_alone"), ("risk_factors", "partner_loss")]
    )
    assert {"Buurtcafé De Kring", "Rouwgroep Hasselt"} <= set(names(either.text))
    both = client.get("/aanbod", params=[("risk_factors", "partner_loss"), ("course", "transient")])
    assert names(both.text) == ["Rouwgroep Hasselt"]


def test_a_municipality_finds_what_reaches_it(client: TestClient) -> None:
    r = client.get("/aanbod", params={"municipality": "gent", "page": "1"})
    found = names(r.text)
    assert "Buurtcafé De Kring" in found  # in Gent itself
    assert "Wandelgroep Merelbeke" in found  # in the region (arrondissement Gent)
    assert "Raket Vlaanderen" in found  # Flanders-wide
    assert "Rouwgroep Hasselt" not in found  # elsewhere in Flanders
    assert "Detecteren en doorverwijzen van eenzaamheid bij patiënten (ZOL Genk)" not in found
    assert 'Gent <span class="place-note">(eigen gemeente)</span>' in r.text
    assert 'Merelbeke-Melle <span class="place-note">(in de regio)</span>' in r.text
    assert 'name="municipality" value="Gent"' in r.text  # the current name


def test_a_postcode_or_former_name_is_the_municipality(client: TestClient) -> None:
    by_code = client.get("/aanbod", params={"municipality": "9000"})
    by_name = client.get("/aanbod", params={"municipality": "Gent"})
    assert names(by_code.text) == names(by_name.text)
    merged = client.get("/aanbod", params={"municipality": "Melle"})  # merged in 2025
    assert "Wandelgroep Merelbeke" in names(merged.text)


def test_a_province_finds_its_own_and_the_flemish_offer(client: TestClient) -> None:
    r = client.get("/aanbod", params={"province": "Limburg", "q": "groep"})
    assert "Rouwgroep Hasselt" in names(r.text)
    assert "Wandelgroep Merelbeke" not in names(r.text)


def test_paging(client: TestClient) -> None:
    first = client.get("/aanbod", params={"page": "1"})
    second = client.get("/aanbod", params={"page": "2"})
    assert len(names(first.text)) == 20 and len(names(second.text)) == 2
    assert not set(names(first.text)) & set(names(second.text))
    assert "Pagina 2 van 2" in second.text
    assert 'href="/aanbod?page=1" rel="prev"' in second.text
    # Past the end shows the last page; nonsense shows the first.
    assert names(client.get("/aanbod", params={"page": "99"}).text) == names(second.text)
    assert names(client.get("/aanbod", params={"page": "²"}).text) == names(first.text)


def test_the_pager_keeps_the_filters(client: TestClient) -> None:
    r = client.get("/aanbod", params={"geographic_level": list(facet_ids("geographic_level"))})
    assert total(r.text) == 22
    kept = "&amp;".join(f"geographic_level={level}" for level in facet_ids("geographic_level"))
    assert f'href="/aanbod?{kept}&amp;page=2" rel="next"' in r.text


# Wrong input ---------------------------------------------------------------------------------


def test_an_unknown_facet_value_is_explained_and_the_rest_applies(client: TestClient) -> None:
    r = client.get("/aanbod", params=[("elements", "magic"), ("elements", "animal_assisted")])
    assert r.status_code == 200
    assert 'id="e-elements"' in r.text
    assert "Onbekende waarde „magic”" in r.text
    assert names(r.text) == ["AAP vzw"]  # the known value still filters
    assert 'href="#f-elements"' in r.text  # the summary leads to the field


def test_an_unknown_municipality_keeps_what_was_typed(client: TestClient) -> None:
    r = client.get("/aanbod", params={"municipality": "Gentbrugge-Noord", "q": "kring"})
    assert 'id="e-municipality"' in r.text and "Deze gemeente kennen we niet" in r.text
    assert 'value="Gentbrugge-Noord"' in r.text and 'aria-invalid="true"' in r.text
    assert names(r.text) == ["Buurtcafé De Kring"]  # the words still apply


def test_an_unknown_province_is_explained(client: TestClient) -> None:
    r = client.get("/aanbod", params={"province": "Mars"})
    assert 'id="e-province"' in r.text and "Kies een provincie uit de lijst." in r.text
    assert total(r.text) == 22


def test_a_too_long_query_is_cut_and_said(client: TestClient) -> None:
    r = client.get("/aanbod", params={"q": "kring " * 60})
    assert 'id="e-q"' in r.text and "Typ hoogstens 200 tekens" in r.text
    assert names(r.text) == ["Buurtcafé De Kring"]


def test_empty_fields_are_no_filter(client: TestClient) -> None:
    r = client.get("/aanbod", params={"q": " ", "municipality": "", "province": "", "elements": ""})
    assert total(r.text) == 22 and 'class="error"' not in r.text


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                ["q", "municipality", "province", "page", "elements", "age_groups", "x"]
            ),
            st.text(max_size=40),
        ),
        max_size=5,
    )
)
def test_no_query_gives_a_server_error(client: TestClient, pairs: list[tuple[str, str]]) -> None:
    for url in ("/aanbod", "/api/v1/initiatives/search"):
        r = client.get(f"{url}?{urlencode(pairs)}")
        assert r.status_code in (200, 422), (url, pairs)


# htmx and the JSON twin ------------------------------------------------------------------


def test_htmx_gets_the_main_block_and_the_address(client: TestClient) -> None:
    r = client.get("/aanbod", params={"q": "kring"}, headers=HX)
    assert "<html" not in r.text and '<main id="main"' in r.text
    assert r.headers["HX-Push-Url"] == "/aanbod?q=kring"


def test_the_json_twin_pages_with_a_total(client: TestClient) -> None:
    r = client.get("/api/v1/initiatives/search", params={"limit": 5, "offset": 20})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 22 and len(body["items"]) == 2
    page = client.get("/aanbod", params={"page": "2"})
    assert [i["name"] for i in body["items"]] == names(page.text)
    assert body["facets"]["elements"]["animal_assisted"] == 1


def test_the_json_twin_takes_the_same_parameters(client: TestClient) -> None:
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("q", "cafe"),
        ("municipality", "9000"),
        ("age_groups", "older"),
    ]
    body = client.get("/api/v1/initiatives/search", params=params).json()
    html = client.get("/aanbod", params=params).text
    assert [i["name"] for i in body["items"]] == names(html)
    assert body["items"][0]["phone"] == "09 123 45 67"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"municipality": "Atlantis"}, "municipality"),
        ({"elements": "magic"}, "elements[0]"),
        ({"province": "Mars"}, "province"),
        ({"limit": "0"}, "limit"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_the_json_twin_names_the_wrong_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    r = client.get("/api/v1/initiatives/search", params=params)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["detail"]] == [field]


def test_the_json_twin_is_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/api/v1/initiatives/search"]["get"]
    params = {p["name"] for p in op["parameters"]}
    assert {"q", "municipality", "province", "limit", "offset", *FACETS} <= params
    assert {"200", "422"} <= set(op["responses"])


# Detail page ---------------------------------------------------------------------------------


def test_the_detail_page_tells_what_for_whom_where_and_how_to_reach(client: TestClient) -> None:
    r = client.get(f"/aanbod/{id_of(client, 'Buurtcafé De Kring')}")
    assert r.status_code == 200
    text = r.text
    assert "<h1" in text and "Buurtcafé De Kring</h1>" in text
    assert "Elke woensdag koffie" in text and "zonnebloemveld" in text  # what, goal
    assert "Ouderen (60+)" in text and "Volwassenen" in text  # age groups in words
    assert "Alleenwonend" in text  # the target group (risk factor) in words
    assert "Sociale eenzaamheid" in text
    assert 'id="municipality">Gent<' in text and 'id="province">Oost-Vlaanderen<' in text
    assert "Lokaal" in text or "lokaal" in text  # geographic level in words
    assert 'href="tel:091234567"' in text
    assert 'href="mailto:info@kring.example.be"' in text
    assert "Kerkstraat 1, 9000 Gent" in text
    assert '<a href="https://kring.example.be/cafe" id="website" rel="noopener noreferrer"' in text
    # The matrix in words, with the evidence of each element from rules/elements.yaml.
    assert 'id="element-meeting"' in text and "Ontmoeten" in text
    assert re.search(r'id="element-social_activities">.*?badge-proven', text, re.S)
    assert re.search(r'id="element-meeting">.*?badge-potential', text, re.S)
    assert "Primaire preventie" in text
    assert "Niveau 2: logisch onderbouwd" in text  # the effect ladder, explained
    assert "Georganiseerd" in text or "georganiseerd" in text  # approach


def test_a_record_never_verified_says_so(client: TestClient) -> None:
    r = client.get(f"/aanbod/{id_of(client, 'Rouwgroep Hasselt')}")
    assert "Niet recent nagekeken" in r.text
    assert "Niemand heeft deze gegevens nog nagekeken" in r.text
    assert "Overlijden partner" in r.text
    assert "Voorbijgaande eenzaamheid" in r.text


def test_an_unsafe_website_is_no_link(client: TestClient) -> None:
    # Imports refuse such an address; a row written otherwise is still shown safely.
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        row = Initiative(name="Onveilig", website="javascript:alert(1)", email="x@y")
        session.add(row)
        session.commit()
        id_ = row.id
    try:
        r = client.get(f"/aanbod/{id_}")
        assert r.status_code == 200
        assert 'href="javascript' not in r.text and 'href="mailto:x@y"' not in r.text
        assert "<dd>javascript:alert(1)</dd>" in r.text  # shown as text only
    finally:
        with Session(engine) as session:
            session.delete(session.get(Initiative, id_))
            session.commit()


def test_freshness_at_the_boundary(client: TestClient) -> None:
    fresh = client.get(f"/aanbod/{id_of(client, 'Buurtcafé De Kring')}").text
    stale = client.get(f"/aanbod/{id_of(client, 'Wandelgroep Merelbeke')}").text
    assert "Laatst nagekeken op" in fresh and "Niet recent nagekeken" not in fresh
    assert f"{FRESH.day} " in fresh and str(FRESH.year) in fresh
    assert "Niet recent nagekeken" in stale and "meer dan 12 maanden geleden" in stale


def test_staleness_rule() -> None:
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2026, 1, 15), 12) == date(2025, 1, 15)
    today = date(2026, 12, 7)
    assert not is_stale(date(2025, 12, 7), today, 12)
    assert is_stale(date(2025, 12, 6), today, 12)
    assert is_stale(None, today, 12)
    assert not is_stale(date(2026, 6, 8), today, 6) and is_stale(date(2026, 6, 6), today, 6)


def test_the_period_is_a_setting(client: TestClient) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    before = state.settings
    state.settings = before.model_copy(update={"stale_after_months": 60})
    try:
        page = client.get(f"/aanbod/{id_of(client, 'Wandelgroep Merelbeke')}").text
    finally:
        state.settings = before
    assert "Laatst nagekeken op" in page and "Niet recent" not in page


@pytest.mark.parametrize(
    "path", ["/aanbod/99999", "/aanbod/0", "/aanbod/abc", "/aanbod/" + "9" * 30]
)
def test_an_unknown_initiative_is_a_dutch_404(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert "Initiatief niet gevonden" in r.text and 'href="/aanbod"' in r.text


def test_the_menu_and_home_lead_to_the_catalogue(client: TestClient) -> None:
    home = client.get("/").text
    assert '<li><a href="/aanbod">Aanbod</a></li>' in home
    assert "Zoek in het aanbod" in home


def test_the_advice_links_each_offer_to_its_page_without_answers(client: TestClient) -> None:
    maria = [
        ("age", "82"),
        ("municipality", "Gent"),
        ("problem_nature", "situational"),
        ("wants_contact", "true"),
        ("coping", "passive"),
        ("dimensions", "social"),
        ("risk_factors", "living_alone"),
    ]
    r = post_form(client, "/advies", maria)
    assert r.status_code == 200
    offers = re.findall(
        r'<li class="card initiative" id="offer-(\d+)">\s*(?:\{#.*?#\}\s*)?<h3><a href="([^"]+)">',
        r.text,
    )
    assert offers, "no offers on the advice"
    for id_, href in offers:
        assert href == f"/aanbod/{id_}"  # the id only: no answers in the address
    detail = client.get(offers[0][1])
    assert detail.status_code == 200


# The search as a property: the same as a plain filter over the records -----------------------

WORDS = ["buurt", "café", "Koor", "wandelen", "ÉÉN", "zorg", "mantelzorg", "jong", "oud", "taal"]
MUNICIPALITIES = ["Gent", "Merelbeke-Melle", "Hasselt", "Genk", "Antwerpen", "Brugge", None, "X"]


def _random_records(n: int, seed: int = 11) -> tuple[InitiativeRecord, ...]:
    rnd = random.Random(seed)

    def some(facet: str, most: int = 3) -> frozenset[str]:
        ids = [i for i in facet_ids(facet) if i != "unknown"]
        return frozenset(rnd.sample(ids, rnd.randint(0, min(most, len(ids)))))

    def text() -> str:
        return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(0, 4)))

    return tuple(
        InitiativeRecord(
            id=i,
            name=f"{text()} {i}",
            description=text() or None,
            goal=text() or None,
            website=None,
            municipality=rnd.choice(MUNICIPALITIES),
            geographic_level=rnd.choice([*facet_ids("geographic_level"), None]),
            primary_actor=rnd.choice([*facet_ids("primary_actor"), None]),
            elements=some("elements"),
            prevention_levels=some("prevention_levels", 2),
            dimensions=some("dimensions", 2),
            age_groups=some("age_groups", 2),
            course=some("course", 1),
            risk_factors=some("risk_factors"),
            approach=some("approach", 1),
            effect_ladder=rnd.choice([*facet_ids("effect_ladder"), None]),
        )
        for i in range(1, n + 1)
    )


RECORDS = _random_records(150)
INDEX = SearchIndex(RECORDS)
PLACES = load_places()


def plain(query: SearchQuery) -> list[InitiativeRecord]:
    """The search done the slow, obvious way."""
    terms = terms_of(query.text)
    out = []
    for r in RECORDS:
        fields = [fold(r.name), fold(r.goal), fold(r.description)]
        if not all(any(t in f for f in fields) for t in terms):
            continue
        if any(values_of(r, f).isdisjoint(v) for f, v in query.facets.items()):
            continue
        reach = ("municipality", "region", "flanders")
        if query.place and place_of(r, query.place, PLACES) not in reach:
            continue
        if query.province and r.geographic_level != "flanders":
            where = PLACES.find(r.municipality)
            if where is None or where.province != query.province:
                continue
        out.append(r)
    return out


facet_choice = st.dictionaries(
    st.sampled_from(sorted(FACETS)),
    st.sets(st.integers(min_value=0, max_value=30), min_size=1, max_size=3),
    max_size=3,
).map(
    lambda d: {
        f: frozenset(facet_ids(f)[i % len(facet_ids(f))] for i in picks) for f, picks in d.items()
    }
)
queries = st.builds(
    SearchQuery,
    text=st.one_of(
        st.just(""),
        st.lists(st.sampled_from([*WORDS, "cafe", "EEN", "e"]), max_size=2).map(" ".join),
    ),
    facets=facet_choice,
    place=st.one_of(st.none(), st.sampled_from(["Gent", "Genk", "Brugge"]).map(PLACES.find)),
    province=st.one_of(st.none(), st.sampled_from(sorted(PROVINCES))),
)


@settings(max_examples=60, deadline=None)
@given(queries)
def test_search_equals_a_plain_filter(query: SearchQuery) -> None:
    result = INDEX.search(query, PLACES)
    expected = plain(query)
    found = [RECORDS[int(i)] for i in result.order]
    assert {r.id for r in found} == {r.id for r in expected}
    assert result.total == len(expected)
    if not terms_of(query.text):
        assert [fold(r.name) for r in found] == sorted(fold(r.name) for r in expected)


@settings(max_examples=25, deadline=None)
@given(queries, st.sampled_from(sorted(FACETS)))
def test_a_count_beside_a_value_is_what_choosing_it_finds(query: SearchQuery, facet: str) -> None:
    counts = INDEX.search(query, PLACES).facet_counts[facet]
    others = {f: v for f, v in query.facets.items() if f != facet}
    for value in facet_ids(facet):
        with_value = SearchQuery(
            query.text, {**others, facet: frozenset({value})}, query.place, query.province
        )
        assert counts[value] == len(plain(with_value)), value


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=8))
def test_a_column_folds_every_text_as_fold_does(texts: list[str | None]) -> None:
    column = _Column(texts)
    assert [" ".join(t.split()) for t in column.texts()] == [fold(t) for t in texts]
    padded = _Column(texts, pad=" ")
    assert padded.texts() == column.texts()
    for word in {w for t in texts for w in fold(t).split()}:
        expected = [i for i, t in enumerate(texts) if word in fold(t)]
        assert column.having(word).tolist() == expected
