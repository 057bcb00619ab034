"""The grid's rules, checked before any CDP call, and the exact type round-trip."""

from __future__ import annotations

import json

import pytest

from orders.ext_forms import (
    MAX_PAIRS,
    BulkTagForm,
    ExtPairForm,
    PairFormSet,
    display_value,
    dump_seen,
    load_seen,
    split_inputs,
    type_of,
)

pytestmark = pytest.mark.unit


def new_pair(key: str, value: str, type_name: str, existing: dict | None = None) -> ExtPairForm:
    return ExtPairForm(
        {"key": key, "value": value, "type": type_name}, is_new=True, existing=existing or {}
    )


@pytest.mark.parametrize(
    ("raw", "type_name", "expected"),
    [
        ("true", "string", "true"),
        ("true", "boolean", True),
        ("false", "boolean", False),
        ("9", "string", "9"),
        ("9", "integer", 9),
        ("9.0", "number", 9.0),
        ("9", "number", 9.0),
        ("-0.5", "number", -0.5),
        ("1e3", "number", 1000.0),
        ("Zürich — 東京 ✈", "string", "Zürich — 東京 ✈"),
        ("", "string", ""),
        ("  padded  ", "string", "  padded  "),
    ],
)
def test_value_keeps_the_type_the_user_chose(raw: str, type_name: str, expected: object) -> None:
    form = new_pair("someKey", raw, type_name)

    assert form.is_valid(), form.errors
    value = form.cleaned_data["typed_value"]
    assert type(value) is type(expected)
    assert json.dumps(value) == json.dumps(expected)


@pytest.mark.parametrize(
    ("value", "type_name", "shown"),
    [
        ("true", "string", "true"),
        (True, "boolean", "true"),
        ("9", "string", "9"),
        (9, "integer", "9"),
        (9.0, "number", "9.0"),
        (-0.5, "number", "-0.5"),
        ("Zürich", "string", "Zürich"),
        ("", "string", ""),
        (0, "integer", "0"),
        (False, "boolean", "false"),
    ],
)
def test_what_cdp_returns_is_shown_with_its_exact_type(
    value: object, type_name: str, shown: str
) -> None:
    assert type_of(value) == type_name
    assert display_value(value) == shown  # type: ignore[arg-type]
    # Shown text typed back with the same type gives the same JSON value.
    form = new_pair("someKey", shown, type_name)
    assert form.is_valid(), form.errors
    assert json.dumps(form.cleaned_data["typed_value"]) == json.dumps(value)


def test_seen_round_trips_every_type_and_absence() -> None:
    for value in ("true", True, "9", 9, 9.0, -0.5, "", None, 0, False):
        ok, back = load_seen(dump_seen(value))  # type: ignore[arg-type]
        assert ok
        assert json.dumps(back) == json.dumps(value)
    assert load_seen("{not json") == (False, None)
    assert load_seen('{"nested": 1}') == (False, None)
    assert load_seen("[1]") == (False, None)


@pytest.mark.parametrize(
    ("raw", "type_name", "reason"),
    [
        ("yes", "boolean", "true or false"),
        ("True", "boolean", "true or false"),
        ("9.0", "integer", "whole digits"),
        ("9.5", "integer", "whole digits"),
        ("nine", "integer", "whole digits"),
        ("99999999999999999999", "integer", "too large"),
        ("nan", "number", "looks like"),
        ("inf", "number", "looks like"),
        ("1_000", "number", "looks like"),
        ("1e999", "number", "too large"),
        ("", "number", "looks like"),
    ],
)
def test_value_that_does_not_fit_its_type_is_refused_next_to_the_field(
    raw: str, type_name: str, reason: str
) -> None:
    form = new_pair("someKey", raw, type_name)

    assert not form.is_valid()
    assert reason in " ".join(form.errors["value"])


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("LoyaltyTier", "camelCase"),
        ("loyalty_tier", "camelCase"),
        ("loyalty-tier", "camelCase"),
        ("9lives", "camelCase"),
        ("tiér", "camelCase"),
        ("", "Enter a key"),
        ("name", "CDP uses"),
        ("href", "CDP uses"),
        ("ref", "CDP uses"),
        ("key", "CDP uses"),
        ("createdAt", "CDP uses"),
        ("modifiedAt", "CDP uses"),
        ("order", "CDP uses"),
        ("orderItem", "CDP uses"),
    ],
)
def test_key_that_cdp_would_refuse_is_refused_with_its_reason(key: str, reason: str) -> None:
    form = new_pair(key, "x", "string")

    assert not form.is_valid()
    assert reason in " ".join(form.errors["key"])


def test_camel_case_alphanumeric_keys_are_accepted() -> None:
    for key in ("a", "loyaltyTier", "capacityInGb128", "x9Y"):
        assert new_pair(key, "x", "string").is_valid()


def test_a_new_key_must_not_exist_yet() -> None:
    form = new_pair("loyaltyTier", "3", "integer", existing={"loyaltyTier": 2})

    assert not form.is_valid()
    assert "already in this extension" in " ".join(form.errors["key"])


def test_an_extension_holds_at_most_100_pairs() -> None:
    full = {f"key{n}": n for n in range(MAX_PAIRS)}

    form = new_pair("oneMore", "x", "string", existing=full)

    assert not form.is_valid()
    assert "at most 100 pairs" in " ".join(form.errors["key"])
    assert new_pair("oneMore", "x", "string", existing=dict(list(full.items())[:99])).is_valid()


def test_editing_a_row_keeps_its_key_and_reads_the_seen_value() -> None:
    form = ExtPairForm(
        {"key": "ignored", "value": "3", "type": "integer", "seen": "2"},
        is_new=False,
        fixed_key="loyaltyTier",
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["key"] == "loyaltyTier"
    assert form.cleaned_data["seen"] == 2


def test_pair_formset_ignores_blank_rows_and_refuses_duplicate_keys() -> None:
    data = {
        "set-TOTAL_FORMS": "3",
        "set-INITIAL_FORMS": "0",
        "set-0-key": "campaign",
        "set-0-type": "string",
        "set-0-value": "spring",
        "set-1-key": "campaign",
        "set-1-type": "integer",
        "set-1-value": "2",
        "set-2-key": "",
        "set-2-type": "string",
        "set-2-value": "",
    }
    formset = PairFormSet(data, prefix="set")
    assert not formset.is_valid()
    assert "listed twice" in str(formset.errors)

    data["set-1-key"] = "wave"
    formset = PairFormSet(data, prefix="set")
    assert formset.is_valid(), formset.errors
    assert formset.pairs() == {"campaign": "spring", "wave": 2}


def test_bulk_inputs_are_split_on_newlines_and_commas_and_deduplicated() -> None:
    assert split_inputs("A1, B2\nC3\r\n\nA1,,") == ["A1", "B2", "C3"]

    form = BulkTagForm({"inputs": "", "remove_keys": "old_key"})
    assert not form.is_valid()
    assert "camelCase" in str(form.errors["remove_keys"])
    assert "at least one" in str(form.errors["inputs"])
