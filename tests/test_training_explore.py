"""Trainer mode: the eight profiles, compare and the projector view (issue 12)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.advice.compare import compare
from app.advice.engine import advise
from app.advice.knowledge import Knowledge
from app.advice.models import Advice
from app.catalogue.records import InitiativeRecord
from app.core.config import Settings
from app.domain.intake import Intake
from app.main import create_app
from app.training.explore import OVERRIDES, PROFILE_BASE_INTAKE, Preset, presets
from app.training.personas import Persona, load_personas, persona_by_id


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # The pages read the catalogue but write nothing: SQLite is enough on every run.
    db = tmp_path_factory.mktemp("explore") / "test.db"
    with TestClient(create_app(Settings(database_url=f"sqlite:///{db}"))) as c:
        yield c


@pytest.fixture
def english(client: TestClient) -> Iterator[TestClient]:
    """The module's client after the user chose English (the `lang` cookie), Dutch after."""
    client.get("/training/profielen?lang=en")
    yield client
    client.get("/training/profielen?lang=nl")


def section(page: str, element_id: str) -> str:
    """The HTML of the element with this id, up to its section's or article's end."""
    start = page.index(f'id="{element_id}"')
    ends = [page.find(end, start) for end in ("</section>", "</article>")]
    return page[start : min(e for e in ends if e >= 0)]


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


# --- /training/profielen ----------------------------------------------------------------


def test_profiles_show_the_tree_each_direction_its_advice_and_a_persona(
    client: TestClient, knowledge: Knowledge
) -> None:
    response = client.get("/training/profielen")
    assert response.status_code == 200
    page = response.text
    tree = page[page.index('id="tree"') : page.index('id="grid-title"')]
    personas = load_personas()
    for profile in knowledge.profiles.values():
        # A leaf of the tree leads to the profile; its grid tile to a persona.
        assert f'href="#{profile.id}"' in tree
        tile = section(page, f"tile-{profile.id}")
        own = [p for p in personas if p.profile_id == profile.id]
        assert own, f"no persona has profile {profile.id}"
        assert f'href="/training/persona/{own[0].id}"' in tile
        assert "/training/vergelijk?" in tile
        detail = text(section(page, profile.id))
        assert profile.direction.nl in detail
        assert profile.reasoning.nl in detail
        assert "afleiding door dit project" in text(page)
        # How the advice changes: computed by the engine on the base intake.
        advice = advise(
            Intake(
                **PROFILE_BASE_INTAKE,
                problem_nature=profile.problem_nature,
                wants_contact=profile.wants_contact,
                coping=profile.coping,
            ),
            knowledge,
        )
        for item in advice.plan_items:
            assert item.label in detail
        for avoided in advice.discouraged:
            assert avoided.label in detail
    # The eight plans are not all the same: the answers matter.
    assert "Niets afgeraden." in page and "Liever niet voorstellen" in page


def test_profiles_large_type_toggle(client: TestClient) -> None:
    page = client.get("/training/profielen?weergave=groot").text
    assert 'class="wrap explore profiles large"' in page
    assert 'href="/training/profielen">Gewone weergave' in page


# --- /training/vergelijk ----------------------------------------------------------------


def _expected_advice(
    persona: Persona,
    changes: dict[str, str],
    knowledge: Knowledge,
    catalogue: Sequence[InitiativeRecord],
) -> Advice:
    body = persona.intake
    for name, value in changes.items():
        if name == "wants_contact":
            body[name] = value == "need"
        elif name == "dimension":
            body["dimensions"] = [value]
        elif name == "age_group":
            body.pop("age", None)
            body[name] = value
            if value != "older":
                body["risk_factors"] = [r for r in body.get("risk_factors", []) if r != "older_age"]
        else:
            body[name] = value
    return advise(Intake.model_validate(body), knowledge, catalogue)


def _assert_marked(page: str, column: str, before: Advice, after: Advice) -> None:
    diff = compare(before, after)
    col = section(page, f"col-{column}")
    for e in diff.entered:
        assert f'data-element="{e}"><span class="entered">' in col, e
    for e in diff.moved:
        assert f'data-element="{e}"><span class="moved">' in col, e
    for e in diff.left:
        assert re.search(rf'data-element="{e}"><del>', col), e
    for e in diff.now_avoided:
        assert f'data-element="{e}"><span class="now-avoided">' in col, e
        # A warning badge, not the green one of what is new.
        assert re.search(rf'data-element="{e}">.*?<span class="badge badge-avoided">nu', col), e
    for o in diff.offers_entered:
        assert f'data-offer="{o}"><span class="offer-entered">' in col, o
    for o in diff.offers_left:
        assert re.search(rf'data-offer="{o}"><del>', col), o
    for e, reasons in diff.reasons_added.items():
        assert f'data-element="{e}"><span class="reasons-changed">' in col or e in diff.moved
        for r in reasons:
            assert r.text in text(col), r.rule
    for reasons in diff.reasons_dropped.values():
        for r in reasons:
            assert r.text in text(col), r.rule
    assert ("Geen verschil met kolom A." in col) == (not diff.any_difference)


@pytest.mark.parametrize("index", range(3))
def test_each_preset_shows_both_columns_and_marks_what_changes(
    client: TestClient,
    knowledge: Knowledge,
    catalogue: tuple[InitiativeRecord, ...],
    index: int,
) -> None:
    preset: Preset = presets(load_personas())[index]
    response = client.get(preset.url)
    assert response.status_code == 200
    page = response.text
    persona = persona_by_id(preset.persona_id)
    assert persona is not None
    before = _expected_advice(persona, preset.first, knowledge, catalogue)
    after = _expected_advice(persona, preset.second, knowledge, catalogue)
    assert 'id="col-a"' in page and 'id="col-b"' in page and 'id="col-c"' not in page
    # The examples are worth showing only when the advice differs.
    assert compare(before, after).any_difference
    _assert_marked(page, "b", before, after)
    # The form shows the choices again, and the link says the same.
    assert f'<option value="{persona.id}" selected>' in page
    assert f'value="{html.escape(preset.url)}"' in page
    # The example's link names whom it compares.
    assert preset.title.startswith(f"{persona.name} twee keer: ")
    assert f">{html.escape(preset.title)}</a>" in page


def test_three_personas_each_compared_with_the_first(
    client: TestClient, knowledge: Knowledge, catalogue: tuple[InitiativeRecord, ...]
) -> None:
    personas = load_personas()
    a, b, c = personas[0], personas[3], personas[-1]
    page = client.get(f"/training/vergelijk?a={a.id}&b={b.id}&c={c.id}&c_wants_contact=need").text
    first = _expected_advice(a, {}, knowledge, catalogue)
    _assert_marked(page, "b", first, _expected_advice(b, {}, knowledge, catalogue))
    _assert_marked(
        page, "c", first, _expected_advice(c, {"wants_contact": "need"}, knowledge, catalogue)
    )


OVERRIDE_VALUES = st.fixed_dictionaries(
    {},
    optional={name: st.sampled_from(values) for name, values in OVERRIDES.items()},
)


@given(
    a=st.sampled_from([p.id for p in load_personas()]),
    b=st.sampled_from([p.id for p in load_personas()]),
    changes=OVERRIDE_VALUES,
)
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_any_two_columns_mark_exactly_what_the_engine_changes(
    client: TestClient,
    knowledge: Knowledge,
    catalogue: tuple[InitiativeRecord, ...],
    a: str,
    b: str,
    changes: dict[str, str],
) -> None:
    query = {"a": a, "b": b} | {f"b_{k}": v for k, v in changes.items()}
    response = client.get("/training/vergelijk", params=query)
    assert response.status_code == 200
    pa, pb = persona_by_id(a), persona_by_id(b)
    assert pa is not None and pb is not None
    before = _expected_advice(pa, {}, knowledge, catalogue)
    after = _expected_advice(pb, changes, knowledge, catalogue)
    _assert_marked(response.text, "b", before, after)


def test_the_same_persona_twice_shows_no_change(client: TestClient) -> None:
    pid = load_personas()[0].id
    page = client.get(f"/training/vergelijk?a={pid}&b={pid}").text
    assert "Geen verschil met kolom A." in section(page, "col-b")
    assert 'class="entered"' not in page


@pytest.mark.parametrize(
    ("query", "messages"),
    [
        ("a=niemand&b={p}&b_course=soms", ["geen persona ‘niemand’", "geldige keuze voor verloop"]),
        (
            "a={p}&a_dimension=<script>&b={p}&b_age_group=99",
            ["voor dimensie", "voor leeftijdsgroep"],
        ),
        ("a=" + "x" * 5000 + "&b={p}&b_wants_contact=misschien", ["behoefte aan contact"]),
    ],
)
def test_bad_values_give_a_dutch_message_and_keep_the_rest(
    client: TestClient, query: str, messages: list[str]
) -> None:
    pid = load_personas()[1].id
    response = client.get("/training/vergelijk?" + query.format(p=pid))
    assert response.status_code == 400
    page = response.text
    assert "<script>" not in page.split('id="errors"')[1]
    errors = text(page[page.index('id="errors"') : page.index("</div>", page.index('id="errors"'))])
    assert "Niet alles in dit adres kon gebruikt worden" in errors
    for message in messages:
        assert message in errors
    # What was valid stays: the persona's column and its selection in the form.
    assert 'id="col-b"' in page
    assert f'<option value="{pid}" selected>' in page


def test_no_selection_shows_the_form_and_the_examples(client: TestClient) -> None:
    response = client.get("/training/vergelijk")
    assert response.status_code == 200
    assert 'id="compare-form"' in response.text and 'id="presets"' in response.text
    assert 'id="compare-grid"' not in response.text


def test_htmx_compare_pushes_the_short_address(client: TestClient) -> None:
    pid = load_personas()[0].id
    response = client.get(
        f"/training/vergelijk?a={pid}&a_course=&b={pid}&b_course=chronic&c=",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert (
        response.headers["HX-Push-Url"] == f"/training/vergelijk?a={pid}&b={pid}&b_course=chronic"
    )
    assert response.text.lstrip().startswith("<title>")


def test_compare_and_its_examples_show_the_personas_in_english(english: TestClient) -> None:
    dutch, english_personas = load_personas(), load_personas("en")
    preset = presets(english_personas)[0]
    page = html.unescape(english.get(preset.url).text)
    persona = persona_by_id(preset.persona_id, "en")
    assert persona is not None
    assert f'<p class="hint">{persona.title}</p>' in page
    for p in english_personas:
        assert f">{p.name} – {p.title}</option>" in page
    assert not [p.title for p in dutch if p.title in page]


# --- /training/persona/{id}/presentatie -------------------------------------------------


def test_presentation_story_intake_plan_why_and_sources_last(
    client: TestClient, knowledge: Knowledge
) -> None:
    persona = persona_by_id("maria-persona-75-plus") or load_personas()[0]
    response = client.get(f"/training/persona/{persona.id}/presentatie")
    assert response.status_code == 200
    page = response.text
    slides = re.findall(r'<section class="slide slide-(\w+)" id="dia-(\d+)"', page)
    kinds = [k for k, _n in slides]
    assert kinds[:4] == ["story", "intake", "direction", "plan"]
    assert kinds[-1] == "sources" and kinds.count("sources") == 1
    advice = advise(persona.intake_model, knowledge)
    assert kinds.count("why") == len(advice.plan)
    bodies = [text(section(page, f"dia-{n}")) for _k, n in slides]
    assert persona.paragraphs[0] in bodies[0]
    for item in advice.plan_items:
        assert item.label in bodies[3]
    # One element a slide, its number first: "1. Praktisch ondersteunen: waarom?"
    whys = [n for k, n in slides if k == "why"]
    for number, (item, n) in enumerate(zip(advice.plan_items, whys, strict=True), start=1):
        title = f"{number}. {item.label}: waarom?"
        assert f'<h2 id="dia-{n}-title">{html.escape(title, quote=False)}</h2>' in page
    # Citations only on the last screen.
    sources = [*advice.profile.sources, *(p.source for p in persona.learning_points)]
    for source in sources:
        for part in source.split(";"):
            assert part.strip().replace(" et al.", " e.a.") in bodies[-1]
    for body in bodies[:-1]:
        assert not re.search(r"\b(19|20)\d\d\b", body), body
    # Navigation without JavaScript: anchors, a slide number, and the way back.
    assert 'href="#dia-2" data-go="next"' in page
    assert f"Dia 1 van {len(slides)}" in text(page)
    assert f'href="/training/persona/{persona.id}"' in page
    assert "presentation.js" in page and "<script>" not in page


def test_the_presentation_shows_the_persona_in_english(english: TestClient) -> None:
    dutch = persona_by_id("maria-persona-75-plus")
    persona = persona_by_id("maria-persona-75-plus", "en")
    assert dutch and persona
    page = html.unescape(english.get(f"/training/persona/{persona.id}/presentatie").text)
    story = text(section(page, "dia-1"))
    assert f"{persona.name} – {persona.title}" in story
    assert all(paragraph in story for paragraph in persona.paragraphs)
    learning = text(page[page.index('class="slide slide-learning"') :])
    assert all(lp.text[:60] in learning for lp in persona.learning_points)
    dutch_texts = [dutch.title, *dutch.paragraphs, *(lp.text[:60] for lp in dutch.learning_points)]
    assert not [t for t in dutch_texts if t in page]


def test_the_intake_slide_shows_the_duration_and_the_scale(client: TestClient) -> None:
    # Kobe's learning point builds on his six out of six; the slide showed no score.
    kobe = persona_by_id("kobe-jongvolwassene")
    assert kobe is not None and kobe.intake_model.duration_months
    page = client.get(f"/training/persona/{kobe.id}/presentatie").text
    start = page.index('class="slide slide-intake"')
    slide = " ".join(text(page[start : page.index("</section>", start)]).split())
    assert "Schaal van De Jong Gierveld 6/6, ernstig eenzaam" in slide
    assert kobe.intake_model.duration_months == 96
    assert "Duur 8 jaar" in slide


def test_the_direction_slide_says_the_direction_is_the_projects_derivation(
    client: TestClient,
) -> None:
    # DOMAIN.md §2: whatever direction a profile gets must say it is our derivation.
    pid = load_personas()[0].id
    page = client.get(f"/training/persona/{pid}/presentatie").text
    start = page.index('class="slide slide-direction"')
    slide = text(page[start : page.index("</section>", start)])
    assert "afleiding door dit project" in slide and "geen tekst uit het werkboek" in slide


def test_presentation_unknown_persona_is_a_dutch_404(client: TestClient) -> None:
    response = client.get("/training/persona/niemand/presentatie")
    assert response.status_code == 404
    assert "Persona niet gevonden" in response.text


def test_presentation_from_a_boosted_link_loads_as_a_whole_page(client: TestClient) -> None:
    pid = load_personas()[0].id
    response = client.get(f"/training/persona/{pid}/presentatie", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == f"/training/persona/{pid}/presentatie"


def test_static_files_exist() -> None:
    root = Path(__file__).resolve().parents[1] / "static"
    assert (root / "presentation.js").is_file() and (root / "training-explore.css").is_file()
