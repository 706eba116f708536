"""Registration of an initiative by an organisation (issue 11, item 2): /aanbod/aanmelden.

The form asks the ten questions of the report's survey (Thomas More, 2023, appendix 2)
and the matrix classification, in plain Dutch and without JavaScript. A wrong answer is
named beside its field and everything typed stays. Every check is the CSV import's
(app.catalogue.submissions). A registration waits for a curator (app.web.review_pages);
the submitter gets its reference.

Forgery: besides the site-wide Origin check (app.core.security), the form carries a token
tied to a cookie of this page only (the double-submit pattern of the curators' login).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.auth.sessions import form_token, is_https, new_login_nonce, token_matches
from app.catalogue.columns import Codebook
from app.catalogue.csvio import CsvIssue
from app.catalogue.submissions import (
    FIELDS,
    Status,
    by_reference,
    check_fields,
    clean_fields,
    contact_problem,
    create_submission,
)
from app.core.i18n import current_language, ngettext_, set_language
from app.core.i18n import gettext_ as _
from app.core.rate_limit import check_rate, too_many_attempts
from app.web import review_pages
from app.web.beheer import key_of
from app.web.dates import long_date
from app.web.forms import form_text, is_language_switch
from app.web.landscape_pages import _municipality_options
from app.web.templating import render
from app.web.upload_support import issue_text

router = APIRouter(include_in_schema=False)

PATH = "/aanbod/aanmelden"
COOKIE = "ezw_aanmelding"
COOKIE_SECONDS = 4 * 60 * 60
PURPOSE = "register"
REGISTER_ACTION = "register"
MAX_CONTACT = 200
# The coded fields of the form, in the order of the page: the survey's, then the matrix.
SURVEY_CODED = ("geographic_level", "primary_actor", "age_groups", "risk_factors")
MATRIX_CODED = ("elements", "prevention_levels", "dimensions", "approach", "course")


def field_labels() -> dict[str, str]:
    """The question of each field, in the UI language."""
    return {
        "name": _("Naam van het initiatief"),
        "website": _("Website"),
        "description": _("Wat is het initiatief? Beschrijf kort wat er gebeurt."),
        "goal": _("Wat wil het initiatief bereiken?"),
        "municipality": _("In welke gemeente?"),
        "postcode": _("Postcode"),
        "geographic_level": _("Voor welk gebied werkt het initiatief?"),
        "primary_actor": _("Wie nam het initiatief?"),
        "partners": _("Met welke partners werkt u samen?"),
        "age_groups": _("Voor welke leeftijden?"),
        "risk_factors": _(
            "Voor welke doelgroep? Kies de groepen met een verhoogd risico die u bereikt."
        ),
        "evaluation": _("Werd het initiatief geëvalueerd? Hoe?"),
        "effect_ladder": _("Hoe goed is de werking onderbouwd?"),
        "elements": _("Welke werkzame elementen zet het initiatief in?"),
        "prevention_levels": _("Voor wie is het bedoeld (preventieniveau)?"),
        "dimensions": _("Welke soort eenzaamheid pakt het aan?"),
        "approach": _("Hoe gaan deelnemers ermee aan de slag?"),
        "course": _("Gaat het om voorbijgaande of langdurige eenzaamheid?"),
        "phone": _("Telefoonnummer"),
        "email": _("E-mailadres van het initiatief"),
        "address": _("Adres waar men terechtkan"),
    }


def question(name: str) -> str:
    """A field's question up to its question mark (the rest is an instruction)."""
    label = field_labels()[name]
    head, mark, _rest = label.partition("? ")
    return head + "?" if mark else label


def field_hints() -> dict[str, str]:
    return {
        "website": _("Begint met https:// of http://."),
        "municipality": _(
            "Kies een Vlaamse of Brusselse gemeente uit de lijst (naam of postcode). Werkt het "
            "initiatief voor heel Vlaanderen, dan mag u dit leeg laten."
        ),
        "partners": _("Bijvoorbeeld het OCMW, een dienstencentrum of een vereniging."),
        "risk_factors": _("Kies niets als het initiatief voor iedereen openstaat."),
        "evaluation": _("Bijvoorbeeld een bevraging van de deelnemers of een onderzoek."),
        "elements": _(
            "Een werkzaam element is wat een aanpak tegen eenzaamheid doet werken. Kies er "
            "minstens één; de meeste initiatieven combineren er enkele."
        ),
        "phone": _("Cijfers, spaties en + . / ( ) -."),
        "email": _("Dit adres verschijnt in de catalogus, zodat hulpverleners u kunnen bereiken."),
        "address": _("Straat, nummer, postcode en gemeente."),
    }


def element_examples() -> dict[str, str]:
    """A short example of each active element, in the UI language (our own words)."""
    return {
        "mindfulness": _("Voorbeeld: een groepstraject van acht weken aandachtsoefeningen."),
        "social_cognitive_training": _(
            "Voorbeeld: gesprekken waarin iemand leert negatieve gedachten over anderen "
            "bij te sturen."
        ),
        "social_support": _("Voorbeeld: een vaste telefoonronde bij alleenwonenden."),
        "psychological_intervention": _("Voorbeeld: begeleiding door een psycholoog van het CGG."),
        "social_activities": _("Voorbeeld: een wandelclub of een kookavond in de buurt."),
        "social_networks": _(
            "Voorbeeld: buren met elkaar in contact brengen via een buurtnetwerk."
        ),
        "psychoeducation": _("Voorbeeld: een infoavond over eenzaamheid en hoe je ermee omgaat."),
        "social_skills": _("Voorbeeld: een vorming over hoe je een gesprek begint."),
        "skill_development": _("Voorbeeld: een cursus videobellen met een tablet."),
        "occupation": _("Voorbeeld: een gemeenschappelijke moestuin."),
        "meeting": _("Voorbeeld: een wekelijks praatcafé of een buurtrestaurant."),
        "practical_support": _("Voorbeeld: vrijwilligers die helpen met boodschappen of vervoer."),
        "meaningful_contact": _("Voorbeeld: een vast maatje dat elke week op bezoek komt."),
        "realistic_expectations": _(
            "Voorbeeld: in een gesprek bespreken wat iemand van nieuwe contacten mag verwachten."
        ),
        "meaningful_role": _("Voorbeeld: ouderen die als vrijwilliger voorlezen op school."),
        "digital_technology": _("Voorbeeld: een app die buurtbewoners met elkaar verbindt."),
        "befriending": _("Voorbeeld: een buddyproject dat een vrijwilliger aan iemand koppelt."),
        "animal_assisted": _("Voorbeeld: bezoek met een therapiehond in een woonzorgcentrum."),
        "leisure": _("Voorbeeld: samen een nieuwe hobby uitproberen in een vereniging."),
        "health_welfare_care": _("Voorbeeld: huisbezoeken door een maatschappelijk werker."),
        "detection_referral": _(
            "Voorbeeld: postbodes of buurtwerkers die signalen opvangen en doorverwijzen."
        ),
        "other": _("Voorbeeld: een sensibiliseringscampagne of vorming voor vrijwilligers."),
    }


def first_sentence(text: str | None) -> str:
    if not text:
        return ""
    head, dot, _rest = text.partition(". ")
    return head + ("." if dot or not head.endswith(".") else "")


def codebook_of(request: Request) -> Codebook:
    return Codebook.from_knowledge(request.app.state.knowledge)


def coded_options(codebook: Codebook, lang: str) -> dict[str, list[dict[str, str]]]:
    """Each coded field's values: id, label, a short help text (and for elements an
    example)."""
    examples = element_examples()
    out: dict[str, list[dict[str, str]]] = {}
    for name in (*SURVEY_CODED, *MATRIX_CODED, "effect_ladder"):
        out[name] = [
            {
                "id": code.id,
                "label": code.label(lang),
                "help": first_sentence(code.description(lang)),
                "example": examples.get(code.id, "") if name == "elements" else "",
            }
            for code in codebook.codes[name]
        ]
    return out


def message(issue: CsvIssue, codebook: Codebook, lang: str) -> str:
    """One problem of a field, said for the form (no row or column: it stands beside it)."""
    own = {
        "unknown_municipality": _("Kies een gemeente uit de lijst."),
        "municipality_required": _(
            "Vul de gemeente in, of kies ‘Vlaanderen’ als gebied als het initiatief voor heel "
            "Vlaanderen werkt."
        ),
        "elements_required": _("Kies minstens één werkzaam element."),
        "bad_postcode": _("Een Belgische postcode heeft vier cijfers, van 1000 tot 9999."),
    }
    if issue.code in own:
        return own[issue.code]
    if issue.code == "name_required":
        return _("Vul de naam van het initiatief in.")
    if issue.code == "unknown_value" and issue.column in field_labels():
        # The form's own question, in the UI language: the CSV column's Dutch name means
        # nothing to someone filling in the (English) form.
        return _("‘{value}’ is geen keuze bij ‘{question}’; kies uit de lijst.").format(
            value=issue.value or "", question=question(issue.column)
        )
    text = issue_text(
        CsvIssue(issue.code, None, issue.column, issue.value, issue.extra), codebook, lang
    )
    return text[:1].upper() + text[1:]


def field_errors(
    issues: dict[str, list[CsvIssue]], codebook: Codebook, lang: str
) -> dict[str, str]:
    """field → its problems as one sentence or more, in the order of the form."""
    order = {name: n for n, name in enumerate(FIELDS)}
    return {
        name: " ".join(message(i, codebook, lang) for i in found)
        for name, found in sorted(issues.items(), key=lambda kv: order.get(kv[0], 99))
    }


def fields_context(
    request: Request, data: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    """What templates/_initiative_fields.html needs: the registration's fields with their
    questions, help texts and choices (also the curators' edit forms, app.web.curator_records)."""
    return {
        "data": data,
        "errors": errors,
        "labels": field_labels(),
        "hints": field_hints(),
        "options": coded_options(codebook_of(request), current_language()),
        "survey_coded": SURVEY_CODED,
        "matrix_coded": MATRIX_CODED,
        "municipality_options": _municipality_options(),
    }


def _lang(request: Request) -> str:
    set_language(request.scope.get("state", {}).get("lang", "nl"))
    return current_language()


def _form_page(
    request: Request,
    data: dict[str, Any],
    contact_email: str,
    errors: dict[str, str],
    *,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    # One nonce per browser while the form is open (several tabs, the back button).
    nonce = request.cookies.get(COOKIE) or new_login_nonce()
    token = form_token(key_of(request), nonce, PURPOSE)
    response = render(
        request,
        "registration.html",
        {
            **fields_context(request, data, errors),
            "contact_email": contact_email,
            "notice": notice,
            "token": token,
        },
        status_code=status_code,
    )
    response.set_cookie(
        COOKIE,
        nonce,
        max_age=COOKIE_SECONDS,
        path=PATH,
        httponly=True,
        secure=is_https(request),
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(PATH, response_class=HTMLResponse)
def registration_form(request: Request) -> Response:
    """The empty form."""
    _lang(request)
    return _form_page(request, clean_fields({}), "", {})


@router.post(PATH, response_class=HTMLResponse)
async def register(request: Request) -> Response:
    """Check the answers; on a problem the form again with every answer kept, else the
    submission is stored and its reference shown. From the language switch: the form
    again with the answers, in the other language, unchecked."""
    lang = _lang(request)
    form = await request.form()
    data = clean_fields(form)
    contact = form_text(form, "contact_email", MAX_CONTACT)
    if not token_matches(key_of(request), request.cookies.get(COOKIE), form.get("csrf"), PURPOSE):
        notice = _(
            "Het formulier was verlopen en werd niet verstuurd. Uw antwoorden staan er nog: "
            "verstuur het opnieuw."
        )
        return _form_page(request, data, contact, {}, notice=notice, status_code=403)
    if is_language_switch(form):
        return _form_page(request, data, contact, {})
    codebook = codebook_of(request)
    checked = check_fields(data, codebook)
    errors = field_errors(checked.issues, codebook, lang)
    if contact_problem(contact):
        errors["contact_email"] = _("‘{value}’ is geen e-mailadres.").format(value=contact)
    if errors:
        return _form_page(request, data, contact, errors, status_code=400)
    wait = check_rate(request, REGISTER_ACTION)
    if wait is not None:
        notice = ngettext_(
            "Te veel aanmeldingen in korte tijd. Wacht {n} seconde en probeer dan opnieuw.",
            "Te veel aanmeldingen in korte tijd. Wacht {n} seconden en probeer dan opnieuw.",
            wait,
        ).format(n=wait)
        response = _form_page(request, data, contact, {}, notice=notice, status_code=429)
        response.headers["Retry-After"] = str(wait)
        return response
    with Session(request.app.state.engine) as session:
        reference = create_submission(session, data, contact or None)
    response = render(
        request, "registration_done.html", {"reference": reference, "name": data["name"]}
    )
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(
        COOKIE, path=PATH, httponly=True, secure=is_https(request), samesite="strict"
    )
    return response


# --- following up a registration by its reference -------------------------------------------

STATUS_PATH = PATH + "/opvolgen"
# Its own rate limit: a wrong reference costs an attempt, so references cannot be tried in
# bulk (they are ten random characters besides).
STATUS_ACTION = "registration_status"
MAX_REFERENCE_CHARS = 40


def _status_page(request: Request, context: dict[str, Any], *, status_code: int = 200) -> Response:
    full = {"typed": "", "found": None, "not_found": False, "wait": None, **context}
    response = render(request, "registration_status.html", full, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(STATUS_PATH, response_class=HTMLResponse)
def registration_status_form(request: Request) -> Response:
    """The form that asks for a registration's reference."""
    _lang(request)
    return _status_page(request, {})


@router.post(STATUS_PATH, response_class=HTMLResponse)
async def registration_status(request: Request) -> Response:
    """Where a registration stands: waiting, being reviewed, published (with a link) or
    not taken up (with the curator's reason). Read-only; the reference is the key."""
    _lang(request)
    form = await request.form()
    typed = form_text(form, "reference", MAX_REFERENCE_CHARS)
    wait = check_rate(request, STATUS_ACTION)
    if wait is not None:
        response = _status_page(
            request, {"typed": typed, "wait": too_many_attempts(wait)}, status_code=429
        )
        response.headers["Retry-After"] = str(wait)
        return response
    with Session(request.app.state.engine) as session:
        found = by_reference(session, typed)
    if found is None:
        return _status_page(request, {"typed": typed, "not_found": True}, status_code=404)
    decided = found.decided_at or found.created_at
    state = {
        "reference": found.reference,
        "name": str(found.data.get("name") or ""),
        "received": long_date(found.created_at.date()),
        "status": found.status,
        "claimed": found.status == Status.PENDING and found.claimed_by is not None,
        "decided": long_date(decided.date()),
        "reason": found.reason,
        "initiative_id": found.initiative_id,
    }
    return _status_page(request, {"typed": typed, "found": state})


router.include_router(review_pages.curator)
