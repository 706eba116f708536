"""Own data on the landscape page: template, codebook, Dutch or English columns and
values, messages naming Dutch columns and rows, and the analysis of the uploaded rows
(filters and crosstab) without storing them."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from fastapi.testclient import TestClient

from app.advice.knowledge import Knowledge
from app.catalogue.columns import COLUMN_TABLE, Codebook, normalise
from app.catalogue.csvio import ALL_COLUMNS, CsvImportError, parse_csv
from app.domain.vocabulary import INITIATIVE_FACETS
from tests.conftest import CATALOGUE_CSV


# The tests here only read: they share one application and database (shared_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


def _upload(client: TestClient, body: str | bytes, name: str = "eigen.csv") -> str:
    data = body.encode("utf-8") if isinstance(body, str) else body
    r = client.post("/landschap/upload", files={"file": (name, data, "text/csv")})
    assert r.status_code == 200
    return html.unescape(r.text)


def _errors(page: str) -> list[str]:
    block = re.search(r'<ul id="upload-errors">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", block[1]) if block else []


def _dataset(page: str) -> str:
    found = re.search(r'name="dataset" value="([^"]+)"', page)
    assert found, "the analysis page carries the uploaded rows"
    return found[1]


def test_template_is_excel_friendly_with_dutch_headers(client: TestClient) -> None:
    r = client.get("/landschap/sjabloon.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    text = r.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == [c.dutch for c in COLUMN_TABLE]
    assert rows[0][:3] == ["Naam", "Beschrijving", "Doel"] and "Leeftijdsgroepen" in rows[0]
    assert len(rows) == 2 and len(rows[1]) == len(rows[0])
    example = dict(zip(rows[0], rows[1], strict=True))
    assert example["Leeftijdsgroepen"] == "Ouderen (60+)"  # a Dutch label, not an id
    assert "\r\n" in text  # Windows line ends


def test_template_round_trip(client: TestClient) -> None:
    template = client.get("/landschap/sjabloon.csv").content.decode("utf-8-sig")
    # Filled in as a person would: the example row kept, two rows of their own added.
    own = [
        {
            "Naam": "Buurtbabbel",
            "Gemeente": "Westerlo",
            "Postcode": "2260",
            "Geografisch niveau": "buurt of wijk",
            "Primaire actor": "lokaal bestuur",
            "Werkzame elementen": "ontmoeten / sociaal contact; befriending",
            "Leeftijdsgroepen": "jongeren",
        },
        {"Naam": "Zonder meer"},
    ]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows([[row.get(c.dutch, "") for c in COLUMN_TABLE] for row in own])
    filled = template + out.getvalue()
    page = _upload(client, filled.encode("utf-8-sig"), "ingevuld.csv")
    assert _errors(page) == []
    assert "Analyse van het opgeladen bestand ingevuld.csv (3 initiatieven)" in page
    items = parse_csv(template)
    assert items[0].age_groups == ["older"] and items[0].elements == [
        "meeting",
        "social_activities",
    ]
    assert items[0].geographic_level == "local" and items[0].effect_ladder == "1"


def test_dutch_headers_and_dutch_labels(client: TestClient, knowledge: Knowledge) -> None:
    body = (
        "Naam;Gemeente;Leeftijdsgroepen;Werkzame elementen;Geografisch niveau;Effectladder\n"
        "Praatcafé;Geel;Ouderen;Ontmoeten / sociaal contact;Lokaal;Niveau 2\n"
        'Babbelbox;Geel;"JONGEREN; jongvolwassenen";Sociale Steun Verhogen;buurt of wijk;'
        "onbekend\n"
        "Huisbezoek;Mol;ouderen (60+);praktisch  ondersteunen;LOKAAL (GEMEENTE OF STAD);4\n"
    )
    items = parse_csv(body, Codebook.from_knowledge(knowledge))
    assert [i.age_groups for i in items] == [["older"], ["youth", "young_adults"], ["older"]]
    assert [i.elements for i in items] == [["meeting"], ["social_support"], ["practical_support"]]
    assert [i.geographic_level for i in items] == ["local", "neighbourhood", "local"]
    assert [i.effect_ladder for i in items] == ["2", "unknown", "4"]
    page = _upload(client, body)
    assert "3 van 3 initiatieven" in page


def test_accents_and_english_labels_and_ids_mixed(knowledge: Knowledge) -> None:
    body = (
        "name,Leeftijdsgroepen,dimensions,Primaire actor,course\n"
        'A,"Older people (60+); youth",existentiele eenzaamheid,CAW,chronic\n'
        "B,young_adults,Existentiële eenzaamheid,Health insurance fund,Voorbijgaande eenzaamheid\n"
    )
    items = parse_csv(body, Codebook.from_knowledge(knowledge))
    assert items[0].age_groups == ["older", "youth"]
    assert [i.dimensions for i in items] == [["existential"], ["existential"]]
    assert [i.primary_actor for i in items] == ["caw", "health_insurer"]
    assert [i.course for i in items] == [["chronic"], ["transient"]]


def test_shipped_english_file_still_parses_the_same(knowledge: Knowledge) -> None:
    text = CATALOGUE_CSV.read_text(encoding="utf-8")
    assert parse_csv(text, Codebook.from_knowledge(knowledge)) == parse_csv(text)
    assert len(parse_csv(text)) == 19


def test_errors_name_the_dutch_column_and_the_row(client: TestClient) -> None:
    body = "naam;leeftijdsgroepen;Werkzame elementen\nA;ouderen;\nB;jongeren;\nC;pubers;toveren\n"
    errors = _errors(_upload(client, body))
    assert errors[0] == (
        "Rij 4, kolom ‘Leeftijdsgroepen’: ‘pubers’ is geen gekende waarde; kies uit: "
        "Kinderen, Jongeren, Jongvolwassenen, Volwassenen, Ouderen (60+), Alle leeftijden, "
        "Onbekend."
    )
    # Many values: the message points to the codebook instead of listing them all.
    assert errors[1] == (
        "Rij 4, kolom ‘Werkzame elementen’: ‘toveren’ is geen gekende waarde; kies een "
        "waarde uit het codeboek (kolom ‘Werkzame elementen’)."
    )
    # English headers: the message still names the Dutch column.
    errors = _errors(_upload(client, "name,age_groups\nA,teens\n"))
    assert errors[0].startswith("Rij 2, kolom ‘Leeftijdsgroepen’: ‘teens’ is geen gekende waarde")


def test_header_errors_in_dutch(client: TestClient) -> None:
    errors = _errors(_upload(client, "Naam;Kleur\nA;rood\n"))
    assert errors == [
        "De eerste rij noemt onbekende kolom(men): ‘Kleur’. Gebruik de kolomnamen uit het "
        "sjabloon of het codeboek."
    ]
    errors = _errors(_upload(client, "Naam,name\nA,B\n"))
    assert errors == ["Deze kolom(men) staan er twee keer: ‘Naam’."]
    errors = _errors(_upload(client, "Gemeente\nGeel\n"))
    assert errors == ["De verplichte kolom ‘Naam’ ontbreekt."]
    errors = _errors(_upload(client, "Naam;Laatst nagekeken\nA;31/02/2025\n"))
    assert errors == [
        "Rij 2, kolom ‘Laatst nagekeken’: ‘31/02/2025’ is geen datum in de vorm JJJJ-MM-DD "
        "of DD/MM/JJJJ."
    ]


def test_a_belgian_spreadsheet_date_is_read(knowledge: Knowledge) -> None:
    (item,) = parse_csv("Naam;Laatst nagekeken\nA;1/03/2025\n", Codebook.from_knowledge(knowledge))
    assert item.last_verified is not None and item.last_verified.isoformat() == "2025-03-01"


def test_the_cli_parser_reads_dutch_too() -> None:
    (item,) = parse_csv("Naam;Leeftijdsgroepen\nA;Ouderen\n")  # default codebook
    assert item.age_groups == ["older"]
    with pytest.raises(CsvImportError) as exc:
        parse_csv("Naam;Leeftijdsgroepen\nA;pubers\n")
    assert exc.value.errors == ["row 2, column 'age_groups': unknown value 'pubers'"]


def test_codebook_lists_every_column_and_every_id(client: TestClient, knowledge: Knowledge) -> None:
    r = client.get("/landschap/codeboek")
    assert r.status_code == 200
    page = html.unescape(r.text)
    assert 'href="/landschap/sjabloon.csv"' in page
    for column in COLUMN_TABLE:
        row = re.search(rf'<tr id="column-{column.name}"[^>]*>(.*?)</tr>', page, re.S)
        assert row, column.name
        assert f'<th scope="row" role="rowheader">{column.dutch}</th>' in row[1]
        assert f"<code>{column.name}</code>" in row[1]
    assert {c.name for c in COLUMN_TABLE} == set(ALL_COLUMNS)
    codebook = Codebook.from_knowledge(knowledge)
    for facet, enum in INITIATIVE_FACETS.items():
        for member in enum:
            row = re.search(rf'<tr id="code-{facet}-{member.value}"[^>]*>(.*?)</tr>', page, re.S)
            assert row, (facet, member.value)
            label = codebook.label(facet, member.value, "nl")
            assert f'<th scope="row" role="rowheader">{label}</th>' in row[1]
            assert f"<code>{member.value}</code>" in row[1]
    assert 'id="codes-age_groups"' in page and "Ouderen (60+)" in page
    # Every label in the codebook is read back as its id.
    for facet in INITIATIVE_FACETS:
        for code in codebook.codes[facet]:
            assert codebook.resolve(facet, code.nl) == code.id
            assert codebook.resolve(facet, code.en) == code.id
            assert codebook.resolve(facet, code.id.upper()) == code.id


def test_codebook_in_english(client: TestClient) -> None:
    page = html.unescape(client.get("/landschap/codeboek?lang=en").text)
    assert 'role="rowheader">Older people (60+)</th>' in page


def test_upload_page_links_template_and_codebook(client: TestClient) -> None:
    page = client.get("/landschap").text
    assert 'href="/landschap/sjabloon.csv"' in page and 'href="/landschap/codeboek"' in page


def test_normalise_ignores_case_accents_and_spacing() -> None:
    assert normalise("  Existentiële   EENZAAMHEID ") == "existentiele eenzaamheid"
    assert normalise("young_adults") == normalise("Young-adults") == "young adults"


# --- The analysis of uploaded rows: filters and crosstab, without storing them ----------

OWN = (
    "Naam;Gemeente;Leeftijdsgroepen;Werkzame elementen\n"
    "Praatcafé;Geel;Ouderen;Ontmoeten / sociaal contact\n"
    "Babbelbox;Geel;Jongeren;Sociale steun verhogen\n"
    "Huisbezoek;Geel;Ouderen;Praktisch ondersteunen; Ontmoeten / sociaal contact\n"
)


def _own_file() -> str:
    # The last row's elements hold a semicolon: quote them as a spreadsheet would.
    lines = OWN.splitlines()
    lines[3] = 'Huisbezoek;Geel;Ouderen;"Praktisch ondersteunen; Ontmoeten / sociaal contact"'
    return "\n".join(lines) + "\n"


def test_filters_apply_to_the_uploaded_rows(client: TestClient) -> None:
    page = _upload(client, _own_file(), "geel.csv")
    assert "3 van 3 initiatieven" in page
    token = _dataset(page)
    r = client.post(
        "/landschap/upload",
        data={"dataset": token, "dataset_name": "geel.csv", "age_groups": "older"},
    )
    page = html.unescape(r.text)
    assert "2 van 3 initiatieven" in page and "geel.csv" in page
    assert '<option value="older" selected>' in page
    assert "Babbelbox" not in page and "Praatcafé" in page
    assert client.get("/api/v1/initiatives").json()["total"] == 19  # nothing stored
    # "Wis filters" shows the whole file again.
    r = client.post(
        "/landschap/upload", data={"dataset": token, "age_groups": "older", "clear": "1"}
    )
    assert "3 van 3 initiatieven" in r.text


def test_crosstab_on_the_uploaded_rows(client: TestClient) -> None:
    token = _dataset(_upload(client, _own_file()))
    r = client.post(
        "/landschap/upload",
        data={"dataset": token, "row": "elements:meeting", "col": "age_groups:older"},
    )
    page = html.unescape(r.text)
    assert 'id="crosstab-summary"' in page
    found = re.search(r'<table class="data crosstab">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert found
    cells = re.findall(r'<td class="num">(.*?)</td>', found[1])
    assert cells[:2] == ["2", "2 (100,0%)"]  # both older-people initiatives offer meeting
    assert "/landschap/kruistabel.csv" not in page  # that download is for the catalogue


def test_a_changed_dataset_is_validated_again(client: TestClient) -> None:
    import base64
    import zlib

    bad = base64.urlsafe_b64encode(zlib.compress(b"name,age_groups\nA,magic\n")).decode()
    for token in (bad, "not base64!", base64.urlsafe_b64encode(b"plain").decode()):
        page = html.unescape(client.post("/landschap/upload", data={"dataset": token}).text)
        assert _errors(page) == [
            "De gegevens van de analyse zijn onleesbaar. Laad het bestand opnieuw op."
        ]


def test_row_limit(client: TestClient) -> None:
    body = "Naam\n" + "".join(f"Initiatief {n}\n" for n in range(5001))
    assert _errors(_upload(client, body)) == [
        "Het bestand telt 5001 initiatieven; we analyseren er hoogstens 5000."
    ]


def test_language_switch_keeps_the_uploaded_rows_and_filters(client: TestClient) -> None:
    token = _dataset(_upload(client, _own_file(), "geel.csv"))
    page = html.unescape(
        client.post("/landschap/upload", data={"dataset": token, "age_groups": "older"}).text
    )
    switch = re.search(
        r'<form class="lang-switch" method="post" action="([^"]+)"(.*?)</form>', page, re.S
    )
    assert switch and switch[1] == "/landschap/upload?lang=en"
    carried = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', switch[2]))
    assert carried["dataset"] == token and carried["age_groups"] == "older"
    r = client.post(switch[1], data=carried)
    assert "2 of 3 initiatives" in r.text and '<html lang="en"' in r.text


def test_reloading_an_analysis_by_address_goes_back_to_the_upload(client: TestClient) -> None:
    r = client.get("/landschap/upload", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/landschap#upload"


def test_supply_and_demand_on_the_uploaded_rows(client: TestClient) -> None:
    """The analysis page leads to supply/demand for the file's initiatives, posting them."""
    page = _upload(client, _own_file(), "geel.csv")
    form = re.search(
        r'<form method="post" action="/landschap/vraag[^"]*"[^>]*>(.*?)</form>', page, re.S
    )
    assert form, "the analysis links supply and demand with a form that posts the rows"
    token = _dataset(page)
    catalogue = html.unescape(client.get("/landschap/vraag").text)
    r = client.post("/landschap/vraag", data={"dataset": token, "dataset_name": "geel.csv"})
    assert r.status_code == 200
    own = html.unescape(r.text)
    assert "uw eigen bevraging (geel.csv)" in own
    count = re.compile(r"Vraag en aanbod \((\d+) initiatieven")
    assert count.findall(own) == ["3"] and count.findall(catalogue) != ["3"]
    # The form on that page carries the rows on, with the residents typed for Geel.
    assert _dataset(own) and 'method="post" action="/landschap/vraag' in own
    again = client.post(
        "/landschap/vraag",
        data={"dataset": _dataset(own), "municipality": "Geel", "res_65+": "9000"},
    )
    text = html.unescape(again.text)
    assert "Vraag en aanbod in Geel" in text and count.findall(text) == ["3"]
    assert 'value="9000"' in text  # what was typed stays
    assert client.get("/api/v1/initiatives").json()["total"] == 19  # nothing stored
    # Damaged rows: a clear message, not an error page.
    bad = client.post("/landschap/vraag", data={"dataset": "bm90IGEgZGF0YXNldA"})
    assert bad.status_code == 200 and "Laad het bestand opnieuw op" in html.unescape(bad.text)
