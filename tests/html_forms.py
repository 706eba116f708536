"""What a browser without JavaScript posts when a form's submit button is clicked, read from
a served page: the form's successful controls (HTML's form data set), including those
outside the form that name it with their `form` attribute."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

SKIPPED_TYPES = {"submit", "button", "reset", "image", "file"}


@dataclass
class Submitter:
    """A submit button: where it posts (formaction, else the form's action) and the pair
    it adds itself (name and value), if any."""

    form_id: str
    action: str
    pair: tuple[str, str] | None
    attrs: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.actions: dict[str, str] = {}
        self.pairs: dict[str, list[tuple[str, str]]] = {}
        self.buttons: list[Submitter] = []
        # Names of checkbox groups: a form posts each ticked box, so they read as lists.
        self.checkboxes: set[str] = set()
        self._form: str | None = None
        self._textarea: tuple[str, str, list[str]] | None = None
        self._select: tuple[str, str, list[tuple[str, bool]]] | None = None

    def _owner(self, attrs: dict[str, str]) -> str | None:
        return attrs.get("form") or self._form

    def handle_starttag(self, tag: str, raw: list[tuple[str, str | None]]) -> None:
        attrs = {k: v if v is not None else "" for k, v in raw}
        if tag == "form":
            self._form = attrs.get("id") or f"form-{len(self.actions)}"
            self.actions[self._form] = attrs.get("action", "")
            self.pairs.setdefault(self._form, [])
            return
        if tag == "option":
            if self._select is not None:
                value = attrs.get("value")
                self._select[2].append((value if value is not None else "", "selected" in attrs))
            return
        owner = self._owner(attrs)
        name = attrs.get("name")
        if tag == "button" and attrs.get("type", "submit") == "submit" and owner:
            action = attrs.get("formaction") or self.actions.get(owner, "")
            pair = (name, attrs.get("value", "")) if name else None
            self.buttons.append(Submitter(owner, action, pair, attrs))
        if not owner or not name or "disabled" in attrs:
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind == "checkbox":
                self.checkboxes.add(name)
            if kind in SKIPPED_TYPES or (kind in ("checkbox", "radio") and "checked" not in attrs):
                return
            default = "on" if kind in ("checkbox", "radio") else ""
            self.pairs.setdefault(owner, []).append((name, attrs.get("value", default)))
        elif tag == "textarea":
            self._textarea = (owner, name, [])
        elif tag == "select":
            self._select = (owner, name, [])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[2].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            owner, name, parts = self._textarea
            text = "".join(parts)
            # HTML drops one newline right after <textarea>.
            self.pairs.setdefault(owner, []).append((name, text[1:] if text[:1] == "\n" else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            owner, name, options = self._select
            chosen = [v for v, selected in options if selected] or [v for v, _s in options[:1]]
            self.pairs.setdefault(owner, []).extend((name, v) for v in chosen)
            self._select = None


def read_forms(page: str) -> _Forms:
    parser = _Forms()
    parser.feed(page)
    parser.close()
    return parser


def submission(page: str, button: Submitter) -> tuple[str, list[tuple[str, str]]]:
    """Where clicking `button` posts, and the pairs it posts, in document order (the
    button's own pair last)."""
    forms = read_forms(page)
    pairs = list(forms.pairs.get(button.form_id, []))
    if button.pair is not None:
        pairs.append(button.pair)
    return button.action, pairs


def form_data(page: str, form_id: str) -> dict[str, Any]:
    """What the form `form_id` posts unchanged, by field: a checkbox group's ticked values
    as a list, any other field's value as text."""
    forms = read_forms(page)
    data: dict[str, Any] = {}
    for name, value in forms.pairs.get(form_id, []):
        if name in forms.checkboxes:
            data.setdefault(name, []).append(value)
        else:
            data[name] = value
    return data


def language_switch(page: str) -> Submitter | None:
    """The language switch of a form page: a submit button of the form (data-lang-switch)."""
    found = [b for b in read_forms(page).buttons if "data-lang-switch" in b.attrs]
    assert len(found) <= 1, "more than one language switch"
    return found[0] if found else None
