"""Own data on the landscape page: the template and codebook of the exchange format,
messages about an uploaded file, and the uploaded rows carried along in the page.

Nothing uploaded is stored. After an upload the page holds the rows as compressed,
base64-encoded CSV in a hidden field; the forms on that page post it back with their
filters, and every request parses and validates it again, so any server worker can
answer and a changed field can do no more than a new upload could.
"""

from __future__ import annotations

import base64
import binascii
import io
import zlib
from collections.abc import Sequence
from datetime import date
from typing import Any

from app.catalogue.columns import (
    BY_NAME,
    COLUMN_TABLE,
    EXAMPLE_CODES,
    MULTI_SEPARATOR,
    Codebook,
    column_meanings,
    dutch_name,
    example_row,
    how_to_fill,
)
from app.catalogue.csvio import CsvImportError, CsvIssue, SafeCsvWriter, parse_csv, write_csv
from app.catalogue.models import InitiativeBase
from app.core.i18n import gettext_ as _

MAX_ROWS = 5000
# Listed in full in a message when a column has at most this many values.
MAX_CHOICES_LISTED = 10
# A carried dataset never unpacks to more than this (a 2 MB upload stays far below it).
MAX_DATASET_BYTES = 16 * 1024 * 1024
TEMPLATE_NAME = "eenzaamheidswijzer-sjabloon.csv"


class DatasetError(ValueError):
    """The carried dataset cannot be read back."""


def issue_text(issue: CsvIssue, codebook: Codebook, lang: str) -> str:
    """One problem of an uploaded file in the UI language, naming the row and the Dutch
    column as a spreadsheet shows them."""
    column = dutch_name(issue.column) if issue.column else ""
    if issue.row is not None and issue.column:
        where = _("Rij {row}, kolom ‘{column}’").format(row=issue.row, column=column) + ": "
    elif issue.row is not None:
        where = _("Rij {row}").format(row=issue.row) + ": "
    else:
        where = ""
    value = issue.value or ""
    extra = issue.extra or ""
    if issue.code == "unknown_value" and issue.column:
        labels = codebook.labels(issue.column, lang)
        if len(labels) <= MAX_CHOICES_LISTED:
            text = _("‘{value}’ is geen gekende waarde; kies uit: {choices}.").format(
                value=value, choices=", ".join(labels)
            )
        else:
            text = _(
                "‘{value}’ is geen gekende waarde; kies een waarde uit het codeboek "
                "(kolom ‘{column}’)."
            ).format(value=value, column=column)
        return where + text
    if issue.code in ("unknown_columns", "duplicate_columns"):
        names = [n.strip().strip("'") for n in value.split("', '")]
        value = ", ".join(f"‘{dutch_name(n)}’" for n in names)
    texts = {
        "empty_file": _("Het bestand is leeg: de eerste rij moet de kolomnamen bevatten."),
        "not_csv": _("Dit is geen geldig CSV-bestand."),
        "unknown_columns": _(
            "De eerste rij noemt onbekende kolom(men): {value}. Gebruik de kolomnamen uit "
            "het sjabloon of het codeboek."
        ),
        "duplicate_columns": _("Deze kolom(men) staan er twee keer: {value}."),
        "missing_name_column": _("De verplichte kolom ‘Naam’ ontbreekt."),
        "cell_count": _("{extra} cellen verwacht, {value} gevonden."),
        "too_long": _("langer dan {extra} tekens."),
        "name_required": _("een naam is verplicht."),
        "bad_website": _("‘{value}’ is geen webadres dat met http:// of https:// begint."),
        "bad_phone": _("‘{value}’ is geen telefoonnummer (enkel cijfers, spaties en + . / ( ) -)."),
        "bad_email": _("‘{value}’ is geen e-mailadres."),
        "bad_date": _("‘{value}’ is geen datum in de vorm JJJJ-MM-DD of DD/MM/JJJJ."),
        "future_date": _("‘{value}’ ligt in de toekomst."),
        "too_many": _("Gestopt na {extra} fouten."),
    }
    return where + texts[issue.code].format(value=value, extra=extra)


def template_csv(codebook: Codebook, today: date) -> bytes:
    """The template: Dutch column names and one filled-in example row.

    Semicolons and a byte order mark: a spreadsheet with Belgian settings splits the
    columns and reads the accents right when the file is simply opened; the upload
    accepts commas too."""
    out = io.StringIO()
    writer = SafeCsvWriter(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(c.dutch for c in COLUMN_TABLE)
    example = example_row(codebook, today)
    writer.writerow(example[c.name] for c in COLUMN_TABLE)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def codebook_context(codebook: Codebook, lang: str) -> dict[str, Any]:
    """Every column and every id of every coded column, for the codebook page."""
    meanings = column_meanings()
    columns = [
        {
            "name": c.name,
            "dutch": c.dutch,
            "meaning": meanings[c.name],
            "required": c.required,
            "fill": how_to_fill(c),
            "coded": c.name in codebook.codes,
        }
        for c in COLUMN_TABLE
    ]
    coded = [
        {
            "name": name,
            "dutch": BY_NAME[name].dutch,
            "many": BY_NAME[name].kind == "many",
            "codes": [
                {
                    "id": code.id,
                    "label": code.label(lang),
                    "other": code.label("nl" if lang == "en" else "en"),
                    "description": code.description(lang),
                }
                for code in codes
            ],
            "example": f"{MULTI_SEPARATOR} ".join(
                codebook.label(name, i, lang) for i in EXAMPLE_CODES.get(name, (codes[0].id,))
            ),
        }
        for c in COLUMN_TABLE
        for name, codes in [(c.name, codebook.codes.get(c.name))]
        if codes
    ]
    return {"columns": columns, "coded": coded, "template_name": TEMPLATE_NAME}


def encode_dataset(items: Sequence[InitiativeBase]) -> str:
    """Parsed rows as a compact text for a hidden field: our CSV, compressed, base64."""
    out = io.StringIO()
    write_csv(items, out)
    return base64.urlsafe_b64encode(zlib.compress(out.getvalue().encode("utf-8"), 6)).decode()


def decode_dataset(token: str) -> str:
    """The CSV text of a carried dataset; DatasetError if it is not one."""
    try:
        packed = base64.urlsafe_b64decode(token.encode("ascii"))
        unpacker = zlib.decompressobj()
        raw = unpacker.decompress(packed, MAX_DATASET_BYTES)
        if unpacker.unconsumed_tail or not unpacker.eof:
            raise DatasetError("dataset too large or truncated")
        return raw.decode("utf-8")
    except (binascii.Error, zlib.error, UnicodeError, ValueError) as exc:
        raise DatasetError(str(exc)) from None


def read_dataset(token: str, codebook: Codebook) -> tuple[list[InitiativeBase], list[str]]:
    """The rows an analysis page posted back, validated again like a new upload."""
    try:
        items = parse_csv(decode_dataset(token), codebook)
    except (DatasetError, CsvImportError):
        items = []
    if not items or len(items) > MAX_ROWS:
        return [], [_("De gegevens van de analyse zijn onleesbaar. Laad het bestand opnieuw op.")]
    return items, []
