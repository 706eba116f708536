"""Reading a posted form's text fields."""

from __future__ import annotations

from typing import Any

# The field the language switch of a form page posts along with the form's values
# (templates/_macros.html, lang_switch with reshow): the form's handler shows the form
# again in the other language with those values, and checks, stores and counts nothing.
LANGUAGE_SWITCH = "taalwissel"


def form_text(form: Any, name: str, limit: int) -> str:
    """The field `name` of a posted form, trimmed and cut to `limit` characters; "" when
    it is missing or not text (an uploaded file)."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def is_language_switch(form: Any) -> bool:
    """The post came from the language switch, not from the form's own button."""
    return form.get(LANGUAGE_SWITCH) is not None
