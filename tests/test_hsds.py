"""Open Referral HSDS 3.0 (issue 11, item 5): the export validates against the schemas in
../shared/hsds (jsonschema, Draft 2020-12 with a format checker), ids are stable, and
/hsds/services pages and filters as the HSDS API describes."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import update
from sqlmodel import Session

from app.catalogue import hsds
from app.catalogue.csvio import ALL_COLUMNS, export_rows, import_initiatives, parse_csv
from app.catalogue.models import Initiative
from app.core.config import REPO_ROOT, Settings
from app.domain.vocabulary import INITIATIVE_FACETS, ElementId
from app.main import create_app
from tests.conftest import run_app, sqlite_url

# ../shared/hsds beside the repository (a fresh clone has shared/ next to it, as CI does).
HSDS_DIR = REPO_ROOT.parent / "shared" / "hsds"
REPORT = REPO_ROOT.parent / "shared" / "seed" / "000_b5ee9f57acd9ced1.txt"
if not HSDS_DIR.is_dir():
    if os.environ.get("CI"):
        raise RuntimeError(f"the HSDS schemas are missing: {HSDS_DIR}")
    pytest.skip(f"the HSDS schemas ({HSDS_DIR}) are not here", allow_module_level=True)

BASE = "https://hsds.invalid/schema/"
FORMATS = FormatChecker()

# Initiatives with every referral detail, added to the shipped 19.
EXTRA_CSV = """\
name,description,goal,website,municipality,postcode,geographic_level,primary_actor,partners,\
elements,prevention_levels,dimensions,age_groups,course,risk_factors,approach,effect_ladder,\
evaluation,phone,email,address,last_verified
Buurtsoep Ledeberg,Elke dinsdag soep en een praatje.,Ouderen uit de wijk samenbrengen,\
https://buurtsoep.example.be/,Gent,9050,neighbourhood,community_health_centre,OCMW; buurtwerk,\
meeting;befriending,secondary,social;emotional,older,chronic,living_alone;partner_loss,\
organised,2,Bevraging bij deelnemers (2024),+32 9 123 45 67,info@buurtsoep.example.be,\
"Kerkstraat 1, 9050 Gent",2025-03-01
Babbelbank Anderlecht,"=Een bank om te praten, ook in het Frans.",Praten met voorbijgangers,,\
Anderlecht,,neighbourhood,local_government,,meeting,primary,general,all_ages,,none,\
self_with_support,unknown,,02 555 12 12,,,2024-11-15
Wandelclub Aartselaar,Samen wandelen op zondag.,,,Aartselaar,,local,leisure,,\
social_activities;leisure,primary,general,adults;older,,,organised,1,,,wandel@example.be,,
"""


# --- schemas -----------------------------------------------------------------------------


def _registry() -> Registry:
    resources = []
    for path in sorted(HSDS_DIR.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if path.name == "openapi.json":
            continue
        resources.append(
            (BASE + path.name, Resource.from_contents(schema, default_specification=DRAFT202012))
        )
    return Registry().with_resources(resources)


REGISTRY = _registry()


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((HSDS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return schema


def _validator(name: str) -> Draft202012Validator:
    """The validator of one HSDS object; `$ref`s resolve to the sibling files."""
    schema = {**_schema(name), "$id": BASE + f"{name}.json"}
    return Draft202012Validator(schema, registry=REGISTRY, format_checker=FORMATS)


COMPILED_SERVICE = Draft202012Validator(
    json.loads((HSDS_DIR / "compiled" / "service.json").read_text(encoding="utf-8")),
    format_checker=FORMATS,
)


def _errors(validator: Draft202012Validator, obj: object) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)
    ]


def assert_valid_service(service: dict[str, Any]) -> None:
    errors = _errors(COMPILED_SERVICE, service)
    assert not errors, f"service {service.get('name')}: {errors[:5]}"


def test_the_format_checker_is_armed() -> None:
    """A wrong uuid, uri, e-mail or date-time is refused: the checks below are real."""
    bad = {
        "id": "not-a-uuid",
        "name": "x",
        "status": "active",
        "url": "not a uri",
        "email": "no-at-sign",
        "last_modified": "yesterday",
    }
    fields = {e.absolute_path[-1] for e in COMPILED_SERVICE.iter_errors(bad)}
    assert fields == {"id", "url", "email", "last_modified"}


# --- fixtures ----------------------------------------------------------------------------


def _with_extra(client: TestClient) -> TestClient:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        import_initiatives(session, EXTRA_CSV)
    return client


@pytest.fixture(scope="module")
def _shared_hsds_client(_module_client: TestClient) -> TestClient:
    return _with_extra(_module_client)


@pytest.fixture
def hsds_client(_shared_hsds_client: TestClient) -> TestClient:
    """The app with the shipped catalogue and three initiatives with referral details,
    shared by the tests that only read (see shared_client)."""
    _shared_hsds_client.cookies.clear()
    return _shared_hsds_client


@pytest.fixture
def client(hsds_client: TestClient) -> TestClient:
    return hsds_client


@pytest.fixture
def fresh_hsds_client(fresh_client: TestClient) -> TestClient:
    """As hsds_client, on a database of its own: for the tests that change the catalogue."""
    return _with_extra(fresh_client)


def _session(client: TestClient) -> Session:
    return Session(client.app.state.engine)  # type: ignore[attr-defined]


def _export_json(client: TestClient) -> list[dict[str, Any]]:
    out = io.StringIO()
    with _session(client) as session:
        n = hsds.write_json(session, out)
    services: list[dict[str, Any]] = json.loads(out.getvalue())
    assert len(services) == n
    return services


def _export_zip(client: TestClient, path: Path) -> zipfile.ZipFile:
    with _session(client) as session:
        hsds.write_zip(session, path)
    return zipfile.ZipFile(path)


def _by_name(services: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in services}


def _db_rows(client: TestClient) -> list[Any]:
    with _session(client) as session:
        return list(export_rows(session))


# --- the JSON export ---------------------------------------------------------------------


def test_every_exported_service_validates(hsds_client: TestClient) -> None:
    services = _export_json(hsds_client)
    assert len(services) == 22
    for service in services:
        assert_valid_service(service)
    # and every nested object against its own schema (with the $refs of the source files)
    validators = {
        name: _validator(name)
        for name in ("organization", "location", "address", "phone", "contact", "attribute")
    }
    for service in services:
        assert not _errors(validators["organization"], service["organization"])
        for sal in service["service_at_locations"]:
            assert not _errors(validators["location"], sal["location"])
            for address in sal["location"]["addresses"]:
                assert not _errors(validators["address"], address)
        for phone in service["phones"]:
            assert not _errors(validators["phone"], phone)
        for contact in service["contacts"]:
            assert not _errors(validators["contact"], contact)
        for attribute in service["attributes"]:
            assert not _errors(validators["attribute"], attribute)


def test_ids_are_unique_across_the_export(hsds_client: TestClient) -> None:
    ids: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "id" in node and "code" not in node:  # taxonomy terms repeat by design
                ids.append(node["id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(_export_json(hsds_client))
    assert len(ids) == len(set(ids))


def test_referral_details_and_mapping(hsds_client: TestClient) -> None:
    soup = _by_name(_export_json(hsds_client))["Buurtsoep Ledeberg"]
    assert soup["assured_date"] == "2025-03-01"
    assert soup["url"] == "https://buurtsoep.example.be/"
    assert soup["email"] == "info@buurtsoep.example.be"
    assert soup["contacts"][0]["email"] == "info@buurtsoep.example.be"
    assert soup["phones"][0]["number"] == "+32 9 123 45 67"
    assert soup["status"] == "active"
    address = soup["service_at_locations"][0]["location"]["addresses"][0]
    assert address == {
        "id": address["id"],
        "location_id": soup["service_at_locations"][0]["location"]["id"],
        "address_1": "Kerkstraat 1, 9050 Gent",
        "city": "Gent",
        "region": "Vlaanderen",
        "state_province": "Oost-Vlaanderen",
        "postal_code": "9050",
        "country": "BE",
        "address_type": "physical",
    }
    # The organisation is named after the initiative and says so; its kind is an attribute.
    org = soup["organization"]
    assert org["name"] == "Buurtsoep Ledeberg"
    assert "Organisatie achter het initiatief" in org["description"]
    assert [a["taxonomy_term"]["code"] for a in org["attributes"]] == [
        "primary_actor:community_health_centre"
    ]
    values = {
        a["taxonomy_term"]["code"]: a.get("value")
        for a in soup["attributes"]
        if a["link_type"] in hsds.TEXT_FIELDS
    }
    assert values == {
        "text:goal": "Ouderen uit de wijk samenbrengen",
        "text:partners": "OCMW; buurtwerk",
        "text:evaluation": "Bevraging bij deelnemers (2024)",
    }


def test_province_of_each_municipality(hsds_client: TestClient) -> None:
    services = _by_name(_export_json(hsds_client))

    def address(name: str) -> dict[str, Any]:
        result: dict[str, Any] = services[name]["service_at_locations"][0]["location"]["addresses"][
            0
        ]
        return result

    assert address("Bloomup")["state_province"] == "Antwerpen"
    assert address("Je staat niet alleen")["state_province"] == "Vlaams-Brabant"  # Kortenaken
    genk = next(name for name in services if name.startswith("Detecteren en doorverwijzen"))
    assert address(genk)["state_province"] == "Limburg"
    brussels = address("Babbelbank Anderlecht")
    assert (brussels["state_province"], brussels["region"]) == (
        "Brussels Hoofdstedelijk Gewest",
        "Brussels Hoofdstedelijk Gewest",
    )
    # No postcode recorded: the municipality's; no street recorded: no street made up.
    walk = address("Wandelclub Aartselaar")
    assert (walk["postal_code"], walk["address_1"], walk["city"]) == (
        "2630",
        "Aartselaar",
        "Aartselaar",
    )
    # A Flanders-wide initiative without an address has no location.
    assert services["Raket Vlaanderen"]["service_at_locations"] == []


def test_a_place_we_do_not_know_keeps_its_words(knowledge: Any) -> None:
    """No address can be complete without a known municipality: the location says it."""
    m = hsds.mapper(knowledge)
    row = _FakeRow(id=7, name="Praatcafé", municipality="Atlantis", address="Dorp 3")
    location = m.service(row)["service_at_locations"][0]["location"]
    assert location["addresses"] == []
    assert (location["name"], location["description"]) == ("Praatcafé (Atlantis)", "Dorp 3")
    # The municipality found from a postcode in the address.
    row = _FakeRow(id=8, name="Soep", municipality=None, address="Markt 1, 2440 Geel")
    address = m.service(row)["service_at_locations"][0]["location"]["addresses"][0]
    assert (address["city"], address["state_province"], address["postal_code"]) == (
        "Geel",
        "Antwerpen",
        "2440",
    )
    assert hsds.service_to_row(m.service(row)).row["address"] == "Markt 1, 2440 Geel"


class _FakeRow:
    """A row as the mapping reads it (only what the test sets, the rest empty)."""

    def __init__(self, **values: Any) -> None:
        for column in hsds.SOURCE_COLUMNS:
            setattr(
                self,
                column,
                []
                if column in INITIATIVE_FACETS
                and column not in ("geographic_level", "effect_ladder", "primary_actor")
                else None,
            )
        for name, value in values.items():
            setattr(self, name, value)


def test_assured_date_only_where_a_person_checked(hsds_client: TestClient) -> None:
    services = _by_name(_export_json(hsds_client))
    assert services["Babbelbank Anderlecht"]["assured_date"] == "2024-11-15"
    assert "assured_date" not in services["Raket Vlaanderen"]
    modified = datetime.fromisoformat(services["Raket Vlaanderen"]["last_modified"])
    assert modified.tzinfo is not None


def test_the_element_taxonomy_has_the_22_elements_in_dutch(knowledge: Any) -> None:
    vocab = hsds.vocabulary(knowledge)
    elements = next(t for t in vocab.taxonomies if t.column == "elements")
    assert [t.code for t in elements.terms] == [e.value for e in ElementId]
    assert len(elements.terms) == 22
    assert elements.terms[10].name == "Ontmoeten / sociaal contact"  # meeting
    for term in elements.terms:
        assert term.name == knowledge.elements[ElementId(term.code)].label.nl
        assert 20 < len(term.description) < 160, term.code
    # Every facet of DOMAIN.md §5 has its taxonomy with every id, and codes are unique.
    columns = {t.column for t in vocab.taxonomies}
    assert set(INITIATIVE_FACETS) <= columns
    for tax in vocab.taxonomies:
        if tax.column in INITIATIVE_FACETS:
            assert [t.value for t in tax.terms] == [m.value for m in INITIATIVE_FACETS[tax.column]]
    codes = [t.code for t in vocab.terms]
    assert len(codes) == len(set(codes))
    taxonomy = _validator("taxonomy")
    term_schema = _validator("taxonomy_term")
    for tax in vocab.taxonomies:
        assert not _errors(taxonomy, tax.as_json())
        for term in tax.terms:
            assert not _errors(term_schema, term.as_json())


@pytest.mark.skipif(not REPORT.exists(), reason="the source report (../shared/seed) is not here")
def test_element_descriptions_are_in_our_own_words() -> None:
    def runs(text: str) -> set[tuple[str, ...]]:
        words = re.findall(r"[\w'’-]+", text.casefold())
        return {tuple(words[i : i + 8]) for i in range(len(words) - 7)}

    report = runs(REPORT.read_text(encoding="utf-8"))
    texts = [*hsds.ELEMENT_DESCRIPTIONS.values(), *(s.description for s in hsds.FACET_SPECS)]
    assert [t for t in texts if runs(t) & report] == []


def test_uuids_are_stable(hsds_client: TestClient, tmp_path: Path) -> None:
    first, second = _export_json(hsds_client), _export_json(hsds_client)
    assert first == second
    # The namespace never changes: initiative 1's service id is fixed for good.
    assert first[0]["id"] == hsds.service_uuid(1) == "3a7f34c4-3a19-5e25-9fd9-57bb84bdaac5"
    assert first[0]["id"] == str(uuid.uuid5(hsds.NAMESPACE, "initiative/1"))
    # Child rows: the record's id and a suffix, by the standard UUID 5.
    service = first[0]
    expected = {
        service["organization"]["id"]: "organization",
        **{a["id"]: f"attribute/{a['taxonomy_term']['code']}" for a in service["attributes"]},
    }
    for got, suffix in expected.items():
        assert got == str(uuid.uuid5(hsds.NAMESPACE, f"initiative/1/{suffix}"))
    # The tabular form carries the same ids.
    with _export_zip(hsds_client, tmp_path / "a.zip") as zf:
        ids = [r["id"] for r in csv.DictReader(io.StringIO(zf.read("services.csv").decode()))]
    assert ids == [s["id"] for s in first]


# --- the tabular form --------------------------------------------------------------------


def _scalar_fields(schema: dict[str, Any]) -> list[str]:
    return [
        name
        for name, prop in schema["properties"].items()
        if "$ref" not in prop and prop.get("type") != "array"
    ]


def test_the_tables_follow_the_hsds_schemas() -> None:
    for table, (path, fields) in hsds.TABLES.items():
        schema = _schema(table)
        assert path == schema["path"]
        assert [f.name for f in fields] == _scalar_fields(schema), table
        required = set(schema.get("required", [])) | set(schema.get("tabular_required", []))
        for f in fields:
            prop = schema["properties"][f.name]
            assert f.required == (f.name in required), f"{table}.{f.name}"
            if "datapackage_type" in prop:
                assert (f.type, f.format) == (prop["datapackage_type"], None), f.name
            else:
                assert (f.type, f.format) == (prop["type"], prop.get("format")), f.name


def _typed(fields: tuple[hsds.FieldSpec, ...], row: dict[str, str]) -> dict[str, Any]:
    types = {f.name: f.type for f in fields}
    out: dict[str, Any] = {}
    for name, cell in row.items():
        if cell == "":
            continue
        out[name] = float(cell) if types[name] == "number" else cell
    return out


def test_the_zip_is_a_valid_data_package(hsds_client: TestClient, tmp_path: Path) -> None:
    with _export_zip(hsds_client, tmp_path / "hsds.zip") as zf:
        package = json.loads(zf.read("datapackage.json"))
        assert package["profile"] == "tabular-data-package"
        resources = {r["name"]: r for r in package["resources"]}
        assert set(resources) == set(hsds.TABLES)
        assert sorted(zf.namelist()) == sorted(
            ["datapackage.json", *(r["path"] for r in resources.values())]
        )
        counts: dict[str, int] = {}
        primary: dict[str, set[str]] = {}
        tables: dict[str, list[dict[str, str]]] = {}
        for name, resource in resources.items():
            fields = hsds.TABLES[name][1]
            assert [f["name"] for f in resource["schema"]["fields"]] == [f.name for f in fields]
            text = zf.read(resource["path"]).decode("utf-8")
            reader = csv.DictReader(io.StringIO(text))
            assert reader.fieldnames == [f.name for f in fields]
            validator = _validator(name)
            schema = _schema(name)
            needed = set(schema.get("required", [])) | set(schema.get("tabular_required", []))
            rows = list(reader)
            for n, row in enumerate(rows, start=2):
                obj = _typed(fields, row)
                errors = _errors(validator, obj)
                missing = needed - set(row)
                assert not errors and not missing, f"{resource['path']} line {n}: {errors}"
                for f in fields:
                    if f.type == "date" and row[f.name]:
                        datetime.strptime(row[f.name], "%Y-%m-%d")
                    if f.type == "datetime" and row[f.name]:
                        assert datetime.fromisoformat(row[f.name]).tzinfo is not None
            counts[name] = len(rows)
            primary[name] = {r["id"] for r in rows}
            assert len(primary[name]) == len(rows), f"{name}: duplicate ids"
            tables[name] = rows
    # Every foreign key points at a row of its table.
    for name, keys in hsds.FOREIGN_KEYS.items():
        for field_name, ref in keys:
            for row in tables[name]:
                if row[field_name]:
                    assert row[field_name] in primary[ref], f"{name}.{field_name}"
    for row in tables["attribute"]:
        assert row["link_id"] in primary[row["link_entity"]]
    assert counts["service"] == counts["organization"] == 22
    assert counts["taxonomy_term"] == len(hsds.vocabulary().terms)
    assert counts["phone"] == 2 and counts["contact"] == 2
    # A formula is neutralised as in every CSV of the app; a phone number is kept as is.
    babbel = next(r for r in tables["service"] if r["name"] == "Babbelbank Anderlecht")
    assert babbel["description"].startswith("'=Een bank")
    assert {r["number"] for r in tables["phone"]} == {"+32 9 123 45 67", "02 555 12 12"}


def test_cli_exports_both_forms(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "cli.db")
    source = tmp_path / "extra.csv"
    source.write_text(EXTRA_CSV, encoding="utf-8")
    assert run_app("initiatives", "import", str(source), database_url=db).returncode == 0
    out_json, out_zip = tmp_path / "hsds.json", tmp_path / "hsds.zip"
    done = run_app("initiatives", "export", "--format", "hsds-json", str(out_json), database_url=db)
    assert done.returncode == 0, done.stderr
    services = json.loads(out_json.read_text(encoding="utf-8"))
    assert [s["name"] for s in services] == [
        "Buurtsoep Ledeberg",
        "Babbelbank Anderlecht",
        "Wandelclub Aartselaar",
    ]
    for service in services:
        assert_valid_service(service)
    done = run_app("initiatives", "export", "--format", "hsds-zip", str(out_zip), database_url=db)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out_zip) as zf:
        assert "datapackage.json" in zf.namelist()
        assert zf.read("services.csv").decode().count("\n") == 4


# --- back from HSDS ----------------------------------------------------------------------


def test_round_trip_keeps_the_classification(hsds_client: TestClient) -> None:
    """export → map back to the exchange format → parse as an upload: the same record."""
    services = _export_json(hsds_client)
    parsed = parse_csv(hsds.services_to_csv(services))
    before = _db_rows(hsds_client)
    assert len(parsed) == len(before) == 22
    for old, new in zip(before, parsed, strict=True):
        for column in ALL_COLUMNS:
            if column == "postcode" and not old.postcode:
                continue  # filled from a municipality with a single postcode
            expected, got = getattr(old, column), getattr(new, column)
            if isinstance(expected, list):
                expected, got = set(expected), set(got)
            assert got == expected, f"{old.name}: {column}"


def test_round_trip_through_the_zip(hsds_client: TestClient, tmp_path: Path) -> None:
    """The tabular form nests back into the same services, and maps back to the same rows."""
    path = tmp_path / "hsds.zip"
    _export_zip(hsds_client, path).close()
    from_zip = hsds.services_from_zip(path)
    exported = _export_json(hsds_client)
    for service in from_zip:
        assert_valid_service(service)
    assert [hsds.service_to_row(s).row for s in from_zip] == [
        hsds.service_to_row(s).row for s in exported
    ]
    babbel = next(s for s in from_zip if s["name"] == "Babbelbank Anderlecht")
    assert babbel["description"].startswith("=Een bank")  # the export's quote is taken off


def test_reading_hsds_json(hsds_client: TestClient) -> None:
    services = _export_json(hsds_client)
    text = json.dumps(services)
    assert hsds.services_from_json(text) == services
    page = hsds_client.get(SERVICES, params={"per_page": 3}).text
    assert [s["id"] for s in hsds.services_from_json(page)] == [s["id"] for s in services[:3]]
    assert hsds.services_from_json(json.dumps(services[0])) == [services[0]]
    for bad, message in (("{", "not JSON"), ("[1, 2]", "expected a list"), ("3", "expected")):
        with pytest.raises(hsds.HsdsReadError, match=message):
            hsds.services_from_json(bad)
    with pytest.raises(hsds.HsdsReadError, match="not a zip"):
        hsds.services_from_zip(io.BytesIO(b"PK no zip"))


def test_mapping_back_reports_what_has_no_place(knowledge: Any) -> None:
    vocab = hsds.vocabulary(knowledge)
    foreign = {
        "id": str(uuid.uuid4()),
        "name": "Ander aanbod",
        "status": "active",
        "attributes": [
            {"id": str(uuid.uuid4()), "taxonomy_term": {"id": str(uuid.uuid4()), "code": "X1"}},
            # Our code without our id is understood.
            {
                "id": str(uuid.uuid4()),
                "taxonomy_term": {"id": str(uuid.uuid4()), "code": "meeting"},
            },
        ],
    }
    result = hsds.service_to_row(foreign, vocab)
    assert result.row["name"] == "Ander aanbod"
    assert result.row["elements"] == "meeting"
    assert len(result.skipped) == 1 and "X1" in result.skipped[0]


# --- the API -----------------------------------------------------------------------------

SERVICES = "/hsds/services"


def _page(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get(SERVICES, params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    for service in body["contents"]:
        assert_valid_service(service)
    return body


def test_api_root_says_which_hsds(client: TestClient) -> None:
    r = client.get("/hsds/")
    assert r.status_code == 200
    assert r.json()["version"] == "3.0"
    assert r.json()["openapi_url"].endswith("/openapi.json")


def test_services_page_through_the_whole_catalogue(hsds_client: TestClient) -> None:
    first = _page(hsds_client, per_page=5)
    assert {k: v for k, v in first.items() if k != "contents"} == {
        "total_items": 22,
        "total_pages": 5,
        "page_number": 1,
        "size": 5,
        "first_page": True,
        "last_page": False,
        "empty": False,
    }
    seen = [s["id"] for s in first["contents"]]
    for page in range(2, 6):
        body = _page(hsds_client, page=page, per_page=5)
        seen += [s["id"] for s in body["contents"]]
    assert body["last_page"] is True and body["size"] == 2 and not body["first_page"]
    assert seen == [s["id"] for s in _export_json(hsds_client)]
    beyond = _page(hsds_client, page=6, per_page=5)
    assert (beyond["contents"], beyond["empty"], beyond["last_page"], beyond["size"]) == (
        [],
        True,
        True,
        0,
    )
    assert beyond["total_items"] == 22
    default = _page(hsds_client)
    assert default["size"] == 22 and default["total_pages"] == 1
    assert _page(hsds_client, per_page=100)["size"] == 22


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": 101}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": "x"}, "page"),
        ({"taxonomy_term_id": "meeting"}, "taxonomy_term_id"),
        ({"taxonomy_id": "nope"}, "taxonomy_id"),
        ({"modified_after": "gisteren"}, "modified_after"),
        ({"search": "x" * 201}, "search"),
    ],
)
def test_bad_query_values_name_the_field(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    r = client.get(SERVICES, params=params)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["detail"]] == [field]


def test_search_name_description_and_goal(hsds_client: TestClient) -> None:
    def names(text: str) -> list[str]:
        return [s["name"] for s in _page(hsds_client, search=text)["contents"]]

    assert names("BUURTSOEP") == ["Buurtsoep Ledeberg"]  # name, any case
    assert names("praatje") == ["Buurtsoep Ledeberg"]  # description
    assert names("voorbijgangers") == ["Babbelbank Anderlecht"]  # goal
    assert names("100%_zeker") == []  # LIKE's wildcards are plain text
    assert len(names("  ")) == 22  # blank: no filter


def test_filter_on_a_taxonomy_term(hsds_client: TestClient, knowledge: Any) -> None:
    vocab = hsds.vocabulary(knowledge)
    rows = _db_rows(hsds_client)
    for column, value in (
        ("elements", "meeting"),
        ("age_groups", "older"),
        ("geographic_level", "neighbourhood"),
        ("primary_actor", "local_government"),
        ("effect_ladder", "unknown"),
    ):
        term = vocab.by_value[(column, value)]
        body = _page(hsds_client, taxonomy_term_id=term.id, per_page=100)
        expected = [
            r.name
            for r in rows
            if (
                value in getattr(r, column)
                if isinstance(getattr(r, column), list)
                else getattr(r, column) == value
            )
        ]
        assert [s["name"] for s in body["contents"]] == expected, term.code
        assert body["total_items"] == len(expected) > 0
        for service in body["contents"]:
            codes = [a["taxonomy_term_id"] for a in service["attributes"]] + [
                a["taxonomy_term_id"] for a in service["organization"]["attributes"]
            ]
            assert term.id in codes
    unknown = _page(hsds_client, taxonomy_term_id=str(uuid.uuid4()))
    assert (unknown["total_items"], unknown["empty"]) == (0, True)
    text_terms = next(t for t in vocab.taxonomies if t.column == "text")
    with_goal = _page(hsds_client, taxonomy_id=text_terms.id, per_page=100)
    assert with_goal["total_items"] == sum(1 for r in rows if r.goal or r.partners or r.evaluation)


def test_filter_modified_after(fresh_hsds_client: TestClient) -> None:
    later = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)
    with _session(fresh_hsds_client) as session:
        session.exec(  # type: ignore[call-overload]
            update(Initiative)
            .where(Initiative.name == "Wandelclub Aartselaar")  # type: ignore[arg-type]
            .values(updated_at=later)
        )
        session.commit()
    assert [
        s["name"]
        for s in _page(fresh_hsds_client, modified_after="2031-05-01T00:00:00Z")["contents"]
    ] == ["Wandelclub Aartselaar"]
    # 14:00 in Brussels summer time is 12:00 UTC: "on or after" includes it.
    assert _page(fresh_hsds_client, modified_after="2031-05-01T14:00:00+02:00")["total_items"] == 1
    assert _page(fresh_hsds_client, modified_after="2031-05-01T14:00:01+02:00")["total_items"] == 0
    assert (
        _page(fresh_hsds_client, modified_after="2031-05-01")["total_items"] == 1
    )  # a date: 00:00
    assert _page(fresh_hsds_client, modified_after="2000-01-01")["total_items"] == 22
    # The calendar's ends do not fail.
    assert _page(fresh_hsds_client, modified_after="9999-12-31T23:00:00-05:00")["total_items"] == 0
    assert _page(fresh_hsds_client, modified_after="0001-01-01T00:00:00+05:00")["total_items"] == 22


def test_one_service_by_its_id(hsds_client: TestClient) -> None:
    services = _export_json(hsds_client)
    for service in (services[0], services[-1]):
        r = hsds_client.get(f"{SERVICES}/{service['id']}")
        assert r.status_code == 200
        assert r.json() == service
        assert_valid_service(r.json())
    # Upper case is the same UUID.
    assert hsds_client.get(f"{SERVICES}/{services[3]['id'].upper()}").json() == services[3]


@pytest.mark.parametrize(
    "wanted", ["0b7c3f5e-5d0a-4c8e-9a51-1f2e3d4c5b6a", "not-a-uuid", hsds.child_uuid(1, "phone")]
)
def test_unknown_service_is_a_json_404(hsds_client: TestClient, wanted: str) -> None:
    r = hsds_client.get(f"{SERVICES}/{wanted}")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"detail": f"service {wanted} not found"}


def test_other_hsds_paths_are_json_404s(client: TestClient) -> None:
    for path in ("/hsds/organizations", "/hsds/services/x/y", "/hsds/nothing"):
        r = client.get(path)
        assert (r.status_code, r.json()) == (404, {"detail": "no such HSDS resource"}), path


def test_a_new_initiative_is_found_by_its_id(fresh_hsds_client: TestClient) -> None:
    """The UUID index grows with the catalogue."""
    fresh_hsds_client.get(f"{SERVICES}/{hsds.service_uuid(1)}")  # the index is built
    with _session(fresh_hsds_client) as session:
        import_initiatives(session, "name,municipality\nNieuw praatcafé,Gent\n")
    newest = _page(fresh_hsds_client, search="Nieuw praatcafé")["contents"][0]
    assert fresh_hsds_client.get(f"{SERVICES}/{newest['id']}").json()["name"] == "Nieuw praatcafé"


def test_taxonomies_and_terms(client: TestClient, knowledge: Any) -> None:
    vocab = hsds.vocabulary(knowledge)
    taxonomies = client.get("/hsds/taxonomies").json()
    assert taxonomies["total_items"] == len(vocab.taxonomies) == 11
    elements = next(t for t in taxonomies["contents"] if t["name"].startswith("Werkzame"))
    terms = client.get(
        "/hsds/taxonomy_terms", params={"taxonomy_id": elements["id"], "per_page": 100}
    ).json()
    assert [t["code"] for t in terms["contents"]] == [e.value for e in ElementId]
    all_terms = client.get("/hsds/taxonomy_terms", params={"per_page": 20, "page": 3}).json()
    assert all_terms["total_pages"] == math.ceil(len(vocab.terms) / 20)
    one = client.get(f"/hsds/taxonomy_terms/{terms['contents'][0]['id']}").json()
    assert one["name"] == "Mindfulness"
    assert client.get(f"/hsds/taxonomies/{elements['id']}").json() == elements
    assert client.get(f"/hsds/taxonomies/{uuid.uuid4()}").status_code == 404
    assert client.get("/hsds/taxonomy_terms/x").status_code == 404


# --- the API's own OpenAPI description ---------------------------------------------------


def test_hsds_routes_document_their_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = {p: ops for p, ops in spec["paths"].items() if p.startswith("/hsds")}
    assert {"/hsds/", "/hsds/services", "/hsds/services/{id}"} <= set(paths)
    for path, ops in paths.items():
        assert {"400", "404", "422"} <= set(ops["get"]["responses"]), path
    params = {p["name"] for p in spec["paths"]["/hsds/services"]["get"]["parameters"]}
    assert {"page", "per_page", "search", "taxonomy_term_id", "modified_after"} <= params


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("hsds-fuzz") / "test.db"
    with TestClient(
        create_app(Settings(database_url=f"sqlite:///{db}")), raise_server_exceptions=False
    ) as client:
        yield client


def _hsds_schema() -> schemathesis.BaseSchema:
    with TestClient(create_app(Settings(database_url="sqlite://"))) as client:
        spec = client.get("/openapi.json").json()
    return schemathesis.openapi.from_dict(spec).include(path_regex="^/hsds")


hsds_schema = _hsds_schema()


@hsds_schema.parametrize()
@hypothesis_settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_hsds_api_conforms_to_its_schema(
    case: schemathesis.Case[Any], fuzz_client: TestClient
) -> None:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    kwargs.pop("cookies", None)
    response = fuzz_client.request(**kwargs)
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
