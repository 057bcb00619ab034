"""Forms for data-extension pairs (CDP's `ext`, reference §11.2) and for bulk tagging.

Every rule CDP applies to an extension body is checked here, before any call, so the reason
appears next to the field: camelCase alphanumeric keys, no envelope names, at most 100 pairs,
primitive values only. Values keep their exact JSON type: the text `true` stays a string
unless the type is boolean, and `9` (integer) and `9.0` (number) stay distinct.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from orders.cdp.vocabulary import (
    EXTENSION_ENVELOPE_KEYS,
    EXTENSION_KEY_MAX_LENGTH,
    EXTENSION_KEY_PATTERN,
    EXTENSION_KEY_RE,
    MAX_EXTENSION_PAIRS,
    ExtensionValue,
)

ExtValue = ExtensionValue
KEY_MAX_LENGTH = EXTENSION_KEY_MAX_LENGTH
KEY_PATTERN = EXTENSION_KEY_PATTERN
KEY_RE = EXTENSION_KEY_RE
RESERVED_KEYS = EXTENSION_ENVELOPE_KEYS
MAX_PAIRS = MAX_EXTENSION_PAIRS
MAX_BULK_INPUTS = 2000

TYPE_CHOICES = [
    ("string", "string"),
    ("boolean", "boolean"),
    ("integer", "integer"),
    ("number", "number"),
]
TYPE_ARTICLES = {
    "string": "a string",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
}

_INTEGER_RE = re.compile(r"-?[0-9]+", re.ASCII)
# JSON's number grammar: Python's float() would also take "nan", "inf", "1_000" and " 1 ".
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?", re.ASCII)
_INT64 = 2**63


class ExtKeyConverter:
    """A data-extension key in a URL: a bad key is a 404 before any view or CDP call."""

    regex = KEY_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def type_of(value: object) -> str:
    """The grid's type name of a value as CDP returned it.

    `bool` is tested before `int` because `True` is an `int` in Python.
    """
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    raise TypeError(f"Not a primitive extension value: {value!r}")


def display_value(value: ExtValue) -> str:
    """The text shown and edited for a value: JSON for booleans and numbers, strings as-is.

    `json.dumps(9.0)` is `9.0`, so a number never passes for an integer.
    """
    return value if isinstance(value, str) else json.dumps(value)


def key_error(key: str) -> str | None:
    """Why CDP would refuse this key, or None."""
    if not key:
        return "Enter a key."
    if not KEY_RE.fullmatch(key):
        return (
            "Keys are camelCase letters and digits, starting with a lower-case letter "
            "(for example loyaltyTier)."
        )
    if key in RESERVED_KEYS:
        return f"“{key}” is a name CDP uses for the extension itself; choose another key."
    return None


def parse_value(raw: str, type_name: str) -> ExtValue:
    """The typed value of the text `raw`; `ValidationError` with a sentence when it is not one."""
    if type_name == "string":
        return raw
    text = raw.strip()
    if type_name == "boolean":
        if text in ("true", "false"):
            return text == "true"
        raise ValidationError("A boolean is true or false.", code="boolean")
    if type_name == "integer":
        if not _INTEGER_RE.fullmatch(text):
            raise ValidationError(
                "An integer is whole digits, like 9 or -3; for 9.5 choose number.",
                code="integer",
            )
        number = int(text)
        if not -_INT64 <= number < _INT64:
            raise ValidationError("That integer is too large for CDP.", code="integer")
        return number
    if type_name == "number":
        if not _NUMBER_RE.fullmatch(text):
            raise ValidationError("A number looks like 9.0, -0.5 or 1e3.", code="number")
        real = float(text)
        if not math.isfinite(real):
            raise ValidationError("That number is too large for CDP.", code="number")
        return real
    raise ValidationError("Choose a type.", code="type")


def load_seen(text: str) -> tuple[bool, ExtValue | None]:
    """Decode the hidden `seen` field: (ok, value); JSON `null` means the key was absent."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return False, None
    if value is None or type(value) in (str, bool, int, float):
        return True, value
    return False, None


def dump_seen(value: ExtValue | None) -> str:
    return json.dumps(value)


class PairForm(forms.Form):
    """One key, type and value, checked as CDP would check them."""

    key = forms.CharField(max_length=KEY_MAX_LENGTH, required=False, strip=True)
    type = forms.ChoiceField(choices=TYPE_CHOICES, initial="string")
    value = forms.CharField(required=False, strip=False)

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        problem = key_error(key)
        if problem:
            raise ValidationError(problem, code="key")
        return key

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if "type" in cleaned and "value" in cleaned:
            try:
                cleaned["typed_value"] = parse_value(cleaned["value"], cleaned["type"])
            except ValidationError as exc:
                self.add_error("value", exc)
        return cleaned


class ExtPairForm(PairForm):
    """One row of the grid: a pair to add (`is_new`) or an existing key's new value.

    `seen` carries, as JSON, the value the row was rendered with (`null`: the key did not
    exist), so the write can refuse if CDP's value changed meanwhile. `existing` is the
    extension's current pairs, needed to check a new key against the others.
    """

    seen = forms.CharField(widget=forms.HiddenInput, required=False, initial="null")

    def __init__(
        self,
        *args: Any,
        is_new: bool,
        existing: Mapping[str, ExtValue] | None = None,
        fixed_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.is_new = is_new
        self.existing = existing or {}
        self.fixed_key = fixed_key

    def clean_key(self) -> str:
        if self.fixed_key is not None:
            return self.fixed_key
        key = super().clean_key()
        if self.is_new and key in self.existing:
            raise ValidationError(
                f"The key “{key}” is already in this extension; edit that row instead.",
                code="unique",
            )
        if self.is_new and len(self.existing) >= MAX_PAIRS:
            raise ValidationError(
                f"An extension holds at most {MAX_PAIRS} pairs; delete one before adding.",
                code="max_pairs",
            )
        return key

    def clean_seen(self) -> ExtValue | None:
        if self.is_new:
            return None
        ok, value = load_seen(self.cleaned_data["seen"] or "null")
        if not ok:
            raise ValidationError("The row's original value was lost; reload the page.")
        return value


class BasePairFormSet(forms.BaseFormSet[PairForm]):
    """Rows of pairs; blank rows are ignored and a key may appear only once."""

    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[str] = set()
        for form in self.forms:
            key = form.cleaned_data.get("key")
            if not key:
                continue
            if key in seen:
                form.add_error("key", f"The key “{key}” is listed twice.")
            seen.add(key)
        if len(seen) > MAX_PAIRS:
            raise ValidationError(f"An extension holds at most {MAX_PAIRS} pairs.")

    def pairs(self) -> dict[str, ExtValue]:
        return {
            form.cleaned_data["key"]: form.cleaned_data["typed_value"]
            for form in self.forms
            if form.cleaned_data.get("key")
        }


class OptionalPairForm(PairForm):
    """A pair row that may be left blank (in the replace and bulk forms)."""

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        return super().clean_key() if key else ""

    def clean(self) -> dict[str, Any]:
        if self.cleaned_data.get("key") or self.has_error("key"):
            return super().clean()
        if self.cleaned_data.get("value"):
            self.add_error("key", "Enter a key for this value, or clear the value.")
        return self.cleaned_data


PairFormSet = forms.formset_factory(
    OptionalPairForm, formset=BasePairFormSet, extra=3, max_num=MAX_PAIRS, absolute_max=MAX_PAIRS
)


def pair_formset_initial(pairs: Mapping[str, ExtValue]) -> list[dict[str, str]]:
    return [
        {"key": key, "type": type_of(value), "value": display_value(value)}
        for key, value in pairs.items()
    ]


def split_inputs(text: str) -> list[str]:
    """Order refs or referenceIds from pasted text: newline or comma separated, de-duplicated."""
    values = (part.strip() for part in re.split(r"[\n,;\r\t]+", text))
    return list(dict.fromkeys(value for value in values if value))


def inputs_from_csv(upload: Any) -> list[str]:
    """Every non-empty cell of an uploaded CSV, in order (a header row is harmless: no match)."""
    text = upload.read().decode("utf-8-sig", errors="replace")
    cells: Iterable[str] = (cell for row in csv.reader(io.StringIO(text)) for cell in row)
    return list(dict.fromkeys(cell.strip() for cell in cells if cell.strip()))


class BulkTagForm(forms.Form):
    """What a bulk job is about: which orders, and which keys to remove."""

    inputs = forms.CharField(
        label="Order refs or referenceIds",
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        required=False,
        help_text="One per line, or separated by commas.",
    )
    csv_file = forms.FileField(label="…or a CSV file of them", required=False)
    remove_keys = forms.CharField(
        label="Keys to remove",
        required=False,
        help_text="Separated by spaces or commas.",
    )

    def clean_remove_keys(self) -> list[str]:
        keys = [k for k in re.split(r"[\s,]+", self.cleaned_data["remove_keys"]) if k]
        for key in keys:
            problem = key_error(key)
            if problem:
                raise ValidationError(f"{key}: {problem}")
        return list(dict.fromkeys(keys))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        values = split_inputs(cleaned.get("inputs") or "")
        if cleaned.get("csv_file"):
            values = list(dict.fromkeys([*values, *inputs_from_csv(cleaned["csv_file"])]))
        if not values:
            self.add_error("inputs", "Paste at least one order ref or referenceId.")
        elif len(values) > MAX_BULK_INPUTS:
            self.add_error(
                "inputs", f"A job takes at most {MAX_BULK_INPUTS} inputs; split the list."
            )
        cleaned["values"] = values
        return cleaned
