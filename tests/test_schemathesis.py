"""Schemathesis over /openapi.json: every API operation, a bounded number of examples.

No answer may give a 5xx, and every answer must be one the schema documents, with a
body that fits the documented model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.core.config import Settings
from app.main import create_app

BASE_URL = "http://testserver"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db: Path = tmp_path_factory.mktemp("schemathesis") / "test.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}"))
    # Entering the client runs the lifespan: the catalogue is seeded into the temporary file.
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _schema() -> schemathesis.BaseSchema:
    # The schema as /openapi.json serves it; making it needs no database (no lifespan).
    app = create_app(Settings(database_url="sqlite://"))
    with TestClient(app) as client:
        spec = client.get("/openapi.json").json()
    return schemathesis.openapi.from_dict(spec).include(path_regex="^/api/")


schema = _schema()


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: schemathesis.Case[Any], api_client: TestClient) -> None:
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    # The API reads no cookies, and httpx deprecates passing them per request.
    kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), bytes | str):  # a raw body: httpx wants `content`
        kwargs["content"] = kwargs.pop("data")
    response = api_client.request(**kwargs)
    case.validate_response(response, checks=CHECKS)
