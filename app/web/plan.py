"""The take-away plan as PDF (WeasyPrint): the advice without personal identifiers."""

from __future__ import annotations

from datetime import UTC, datetime

from app.advice.knowledge import Knowledge
from app.advice.models import Advice
from app.core.i18n import current_language
from app.web.templating import STATIC_DIR, environment


def plan_html(advice: Advice, knowledge: Knowledge) -> str:
    """HTML of the plan; it names no person, municipality or scale answers."""
    sources = sorted(
        {s.strip() for el in advice.elements for r in el.reasons for s in r.source.split(";")}
        | {s.strip() for d in advice.discouraged for r in d.reasons for s in r.source.split(";")}
        | set(advice.profile.sources)
    )
    return (
        environment()
        .get_template("plan.html")
        .render(
            advice=advice,
            k=knowledge,
            lang=current_language(),
            today=datetime.now(UTC).date(),
            sources=sources,
        )
    )


def render_plan_pdf(advice: Advice, knowledge: Knowledge) -> bytes:
    # Imported here: WeasyPrint loads Pango at import time, which only the PDF needs.
    from weasyprint import HTML

    pdf: bytes = HTML(string=plan_html(advice, knowledge), base_url=str(STATIC_DIR)).write_pdf()
    return pdf
