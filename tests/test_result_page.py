"""The result page as a social worker reads it: a plan of 3-5, each reason once, a legend,
offers or a plain no-local-offer notice, a what-if that never touches the take-away plans,
and two plans without names."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from app.advice.engine import advise
from app.core.i18n import set_language
from app.web.intake_form import Answers, to_intake
from app.web.plan import count_elements, count_offers, plan_html
from tests.conftest import post_form

HX = {"HX-Request": "true"}
HELPLINES = ("1813", "106", "102")

MARIA = [
    ("age", "82"),
    ("municipality", "Geel"),
    ("problem_nature", "situational"),
    ("wants_contact", "true"),
    ("coping", "passive"),
    ("duration_months", "8"),
    ("dimensions", "emotional"),
    ("risk_factors", "partner_loss"),
    ("risk_factors", "living_alone"),
]
STUDENT = [
    ("age", "20"),
    ("municipality", "Leuven"),
    ("problem_nature", "situational"),
    ("wants_contact", "true"),
    ("coping", "active"),
    ("dimensions", "social"),
]
JOS = [
    ("age", "58"),
    ("municipality", "Antwerpen"),
    ("problem_nature", "structural"),
    ("wants_contact", "false"),
    ("coping", "passive"),
    ("duration_months", "60"),
    ("socially_isolated", "true"),
]
CLIENTS = {"maria": MARIA, "student": STUDENT, "jos": JOS}
NETWORK_ELEMENTS = {"meeting", "social_networks", "social_activities"}


# The tests here only read: they share one application and database (shared_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


# --- a small DOM over html.parser, enough to read the page as a tree -------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return re.sub(r"\s+", " ", " ".join(parts)).strip()

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        found = []
        for c in self.children:
            if isinstance(c, str):
                continue
            if (tag is None or c.tag == tag) and (cls is None or cls in c.classes):
                found.append(c)
            found.extend(c.all(tag, cls))
        return found

    def by_id(self, id_: str) -> Node:
        for n in self.all():
            if n.attrs.get("id") == id_:
                return n
        raise AssertionError(f"no element with id {id_!r}")

    def has_id(self, id_: str) -> bool:
        return any(n.attrs.get("id") == id_ for n in self.all())

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def items(self) -> list[Node]:
        """The direct <li> children of a list."""
        return [c for c in self.children if isinstance(c, Node) and c.tag == "li"]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def dom(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    return builder.root


def page(client: TestClient, pairs: list[tuple[str, str]], **extra: str) -> Node:
    r = client.get("/advies", params=[*pairs, *extra.items()])
    assert r.status_code == 200, r.text[:500]
    return dom(r.text)


def plan_ids(doc: Node) -> list[str]:
    return [li.attrs["id"].removeprefix("el-") for li in doc.by_id("elements").items()]


# --- the plan ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLIENTS)
def test_plan_of_three_to_five_each_with_one_line_and_a_badge(
    client: TestClient, name: str
) -> None:
    doc = page(client, CLIENTS[name])
    plan = doc.by_id("elements").items()
    assert 3 <= len(plan) <= 5, [li.attrs["id"] for li in plan]
    for li in plan:
        assert len(li.all("p", "why")) == 1, li.attrs["id"]
        assert li.all("span", "badge-proven") or li.all("span", "badge-potential")
        assert li.all("details"), "each plan element folds its reasons under Waarom?"
    # The rest of the advice is folded away, closed.
    more = doc.by_id("more")
    assert more.tag == "details" and "open" not in more.attrs


@pytest.mark.parametrize("name", CLIENTS)
def test_no_reason_is_said_twice(client: TestClient, name: str) -> None:
    """A reason is said once: as a plan line, in the shared list, or under one element."""
    doc = page(client, CLIENTS[name])
    said: list[str] = []
    for li in doc.all("li", "element"):
        said += [p.text() for p in li.all("p", "why")]
        said += [r.text() for r in li.all("li", "reason")]
    for ol in doc.all("ol", "shared-list"):
        said += [li.text() for li in ol.items()]
    # Compare the reason texts without their sources and badges.
    texts = [re.sub(r"\s*\(.*$", "", s).removeprefix("literatuur ").strip() for s in said]
    texts = [t.removeprefix("afgeleid ").removeprefix("expertoordeel ") for t in texts]
    repeated = [t for t, n in Counter(texts).items() if n > 1]
    assert not repeated, repeated


def test_reasons_said_elsewhere_are_pointed_to(client: TestClient) -> None:
    doc = page(client, MARIA)
    links = [a.attrs["href"] for li in doc.all("li", "reason-refs") for a in li.all("a")]
    assert links, "elements that share a reason point to where it is said"
    for href in links:
        assert doc.has_id(href.removeprefix("#")), href


def test_legend_explains_every_badge(client: TestClient) -> None:
    doc = page(client, MARIA)
    legend = doc.by_id("legend").text()
    for badge, meaning in [
        ("bewezen effectief", "meerdere reviews of meta-analyses"),
        ("potentieel werkzaam", "beperkt of gemengd bewijs"),
        ("literatuur", "studies"),
        ("afgeleid", "door het project"),
        ("expertoordeel", "experts"),
    ]:
        assert badge in legend and meaning in legend, (badge, legend)


def test_page_order_for_a_social_worker(client: TestClient) -> None:
    r = client.get(
        "/advies",
        params=[*STUDENT[:1], ("crisis_signs", "suicidal_thoughts"), *STUDENT[1:]],
    )
    text = r.text
    order = [
        'class="signal signal-danger"',
        'id="profile-title"',
        'id="elements"',
        'id="offers-title"',
        'id="how"',
        'id="whatif"',
        'id="actions-title"',
    ]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions), dict(zip(order, positions, strict=True))
    assert "1813" in text.split('id="profile-title"')[0]


def test_how_this_advice_came_about_explains_resolutions(client: TestClient) -> None:
    intake = to_intake(Answers.from_pairs(JOS))
    knowledge = client.app.state.knowledge  # type: ignore[attr-defined]
    advice = advise(intake, knowledge, client.app.state.catalogue.get())  # type: ignore[attr-defined]
    how = page(client, JOS).by_id("how")
    assert how.tag == "details" and "open" not in how.attrs
    for resolution in advice.resolutions:
        assert how.has_id(f"resolution-{resolution.element}")
    assert "Toegepaste regels" in how.text()


# --- the three clients -------------------------------------------------------------------


def test_maria_gets_cultuurbuddy_and_no_helpline_among_the_offers(client: TestClient) -> None:
    doc = page(client, MARIA)
    offers = doc.by_id("initiatives")
    names = [li.all("h3")[0].text() for li in offers.items()]
    assert "Cultuurbuddy" in names
    cultuurbuddy = offers.items()[names.index("Cultuurbuddy")]
    assert "Westerlo" in cultuurbuddy.text()
    for li in doc.all("li", "initiative"):
        for number in HELPLINES:
            assert not re.search(rf"\b{number}\b", li.text()), (number, li.text())
    assert not doc.all("div", "signal-danger")


def test_student_in_leuven_is_told_no_local_offer_with_services(client: TestClient) -> None:
    doc = page(client, STUDENT)
    gap = doc.by_id("no-local-offer")
    assert "Geen aanbod gevonden in Leuven" in gap.text()
    links = [a.attrs["href"] for a in doc.by_id("services").all("a")]
    assert len(links) >= 2
    assert all("desocialekaart.be" in href and "Leuven" in href for href in links), links
    labels = doc.by_id("services").text()
    assert "CAW" in labels and "JAC" in labels


def test_jos_gets_no_network_building_and_no_offer_that_is_all_discouraged(
    client: TestClient,
) -> None:
    doc = page(client, JOS)
    assert not NETWORK_ELEMENTS & set(plan_ids(doc))
    intake = to_intake(Answers.from_pairs(JOS))
    knowledge = client.app.state.knowledge  # type: ignore[attr-defined]
    advice = advise(intake, knowledge, client.app.state.catalogue.get())  # type: ignore[attr-defined]
    avoid = {d.id for d in advice.discouraged}
    assert NETWORK_ELEMENTS & avoid
    for offer in advice.initiatives:
        assert not set(offer.elements) <= avoid, offer.name
    for d in advice.discouraged:
        assert doc.has_id(f"avoid-{d.id}")


def test_a_discouraged_reason_shared_by_two_elements_is_said_once(client: TestClient) -> None:
    doc = page(client, JOS)
    reasons = [d.text() for li in doc.by_id("discouraged").items() for d in li.all("div")]
    assert len(reasons) == len(set(reasons)), reasons


# --- what-if -----------------------------------------------------------------------------


def _download_queries(doc: Node) -> list[dict[str, list[str]]]:
    """The answers each download button posts (both buttons share one form)."""
    forms = [f for f in doc.all("form") if "/advies/plan.pdf" in f.attrs.get("action", "")]
    assert len(forms) == 1 and forms[0].attrs["method"] == "post"
    buttons = [b for b in forms[0].all("button") if b.attrs.get("type") == "submit"]
    assert len(buttons) == 2
    query: dict[str, list[str]] = {}
    for i in forms[0].all("input"):
        query.setdefault(i.attrs["name"], []).append(i.attrs["value"])
    return [query, query]


def test_what_if_shows_the_change_and_keeps_the_real_plan_links(client: TestClient) -> None:
    real = page(client, MARIA)
    doc = page(client, MARIA, wi_course="chronic", wi_coping="active")
    # The real advice stays on the page; the panel shows what would change.
    assert plan_ids(doc) == plan_ids(real)
    panel = doc.by_id("whatif")
    assert "open" in panel.attrs
    result = panel.by_id("whatif-result").text()
    assert "nieuw in het plan" in result or "niet meer in het plan" in result
    changed = [f for f in panel.all("fieldset") if "changed" in f.classes]
    assert len(changed) == 2
    assert all("gewijzigd" in f.text() and "Echt:" in f.text() for f in changed)
    for query in _download_queries(doc):
        assert query["coping"] == ["passive"] and "course" not in query
        assert not any(key.startswith("wi_") for key in query)
    back = [f for f in panel.all("form") if "Terug naar het echte advies" in f.text()]
    assert back and not any(i.attrs["name"].startswith("wi_") for i in back[0].all("input"))
    save = doc.by_id("save")
    assert not any(i.attrs.get("name", "").startswith("wi_") for i in save.all("input"))


def test_what_if_with_the_real_answers_changes_nothing(client: TestClient) -> None:
    doc = page(client, JOS, wi_problem_nature="structural", wi_course="auto")
    assert not doc.by_id("whatif").has_id("whatif-result")


def test_what_if_with_htmx_swaps_only_the_panel_and_pushes_nothing(client: TestClient) -> None:
    r = post_form(
        client, "/advies", [*JOS, ("wi_wants_contact", "true")], {**HX, "HX-Target": "whatif"}
    )
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<details class="card whatif" id="whatif" open>')
    assert 'id="elements"' not in r.text
    assert "HX-Push-Url" not in r.headers  # the answers stay out of the address bar


def test_what_if_ignores_values_outside_the_choices(client: TestClient) -> None:
    doc = page(client, JOS, wi_coping="sometimes", wi_course="")
    assert not doc.by_id("whatif").has_id("whatif-result")


# --- the two plans -----------------------------------------------------------------------


@pytest.mark.parametrize("name", CLIENTS)
def test_both_plans_render_as_pdf(client: TestClient, name: str) -> None:
    for path in ("/advies/plan.pdf", "/advies/plan-dossier.pdf"):
        r = client.get(f"{path}?{urlencode(CLIENTS[name])}")
        assert r.status_code == 200, path
        assert r.content.startswith(b"%PDF") and len(r.content) > 5000
        assert r.headers["cache-control"] == "no-store"


def _plans(client: TestClient, pairs: list[tuple[str, str]]) -> tuple[str, str]:
    knowledge = client.app.state.knowledge  # type: ignore[attr-defined]
    intake = to_intake(Answers.from_pairs(pairs))
    set_language("nl")
    advice = advise(intake, knowledge, client.app.state.catalogue.get())  # type: ignore[attr-defined]
    return (
        plan_html(advice, knowledge, "client", intake),
        plan_html(advice, knowledge, "file", intake),
    )


@pytest.mark.parametrize("name", CLIENTS)
def test_plans_carry_no_municipality_or_age(client: TestClient, name: str) -> None:
    pairs = CLIENTS[name]
    municipality = dict(pairs)["municipality"]
    age = dict(pairs)["age"]
    for html in _plans(client, pairs):
        assert municipality not in html
        assert f"{age} jaar" not in html


def test_client_plan_is_plain_words_without_badges_or_rule_ids(client: TestClient) -> None:
    knowledge = client.app.state.knowledge  # type: ignore[attr-defined]
    client_plan, file_plan = _plans(client, MARIA)
    for number in HELPLINES:
        assert not re.search(rf"\b{number}\b", client_plan), number
    assert "Cultuurbuddy" in client_plan
    assert "badge" not in client_plan and "evidence-" not in client_plan
    for rule in knowledge.rules:
        assert rule.rule.id not in client_plan
    assert "bewezen effectief" not in client_plan and "potentieel werkzaam" not in client_plan
    assert "Mensen om u heen die u steunen" in client_plan
    # The file's plan has the reasoning, the sources and room to write.
    for text in ("Afspraken", "Opvolging op (datum):", "Hulpverlener:", "Bronnen", "Intake"):
        assert text in file_plan, text
    assert "Overlijden partner" in file_plan or "partner" in file_plan.lower()


def test_client_plan_in_a_crisis_gives_the_numbers(client: TestClient) -> None:
    client_plan, _file_plan = _plans(client, [("crisis_signs", "suicidal_thoughts"), *STUDENT])
    assert "1813" in client_plan and "112" in client_plan


# --- Dutch -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLIENTS)
def test_dutch_of_the_result_page(client: TestClient, name: str) -> None:
    html = client.get("/advies", params=[*CLIENTS[name], ("djg6_1", "ja")]).text
    html += client.get(
        "/advies",
        params=[*CLIENTS[name], *[(f"djg6_{n}", "ja") for n in range(1, 7)]],
    ).text
    for wrong in (
        "Slechts 0,0%",
        "De De Jong",
        "de De Jong",
        "niet geweten",
        "Zelf-aanpak",
        "zelf-aanpak",
        "et al.",
    ):
        assert wrong not in html, wrong
    assert not re.search(r"\d/6\.[A-Z]", html)


def test_counts_use_singular_and_plural() -> None:
    set_language("nl")
    assert count_offers(1) == "1 initiatief" and count_offers(3) == "3 initiatieven"
    assert count_elements(1) == "1 element" and count_elements(6) == "6 elementen"


def test_english_result_page(client: TestClient) -> None:
    r = client.get("/advies", params=[*MARIA, ("lang", "en")])
    assert r.status_code == 200
    assert "The plan" in r.text and "What the labels mean" in r.text
    assert "Het plan" not in r.text
