"""Links a page makes never point at the host a client claims to be (issue 8, defect 7)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

PAGES = [
    "/",
    "/intake/context",
    "/landschap",
    "/advies?age_group=older&problem_nature=structural&wants_contact=false&coping=passive",
]


@pytest.mark.parametrize("path", PAGES)
def test_no_link_carries_the_host_header(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert "evil.example" not in response.text
    switch = re.search(r'<p class="lang-switch">\s*<a href="([^"]+)"', response.text)
    assert switch is not None
    assert switch.group(1).startswith("/"), switch.group(1)
    assert "lang=en" in switch.group(1)
