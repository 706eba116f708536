"""Reading a posted form's text fields."""

from __future__ import annotations

from typing import Any


def form_text(form: Any, name: str, limit: int) -> str:
    """The field `name` of a posted form, trimmed and cut to `limit` characters; "" when
    it is missing or not text (an uploaded file)."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""
