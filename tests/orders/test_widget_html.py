"""The audit forms' widgets, written in Python, are the HTML Django's templates write."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from orders.forms import AuditFilterForm, LookupValueForm
from orders.widget_html import WidgetHtmlRenderer

pytestmark = pytest.mark.unit

HOSTILE = "\"><script>alert('x')</script>&amp;"


def fields_html(form_class: type[forms.Form], renderer: Any, data: Any = None) -> list[str]:
    form = form_class(data, renderer=renderer)
    form.is_valid()
    return [str(field) for field in form]


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {
            "user": HOSTILE,
            "action": "orders.order.patch",
            "resource_type": "order_item",
            "outcome": "failure",
            "since": "2026-05-01",
            "until": "2026-05-31",
            "lookups": "on",
            "lookup_hmac": "a" * 64,
        },
        # Invalid values: kept as typed, marked aria-invalid, never unescaped.
        {"order_ref": HOSTILE, "key": HOSTILE, "since": HOSTILE, "outcome": HOSTILE},
        {"action": "x" * 100, "resource_type": "not-a-type", "lookup_hmac": HOSTILE},
    ],
)
def test_audit_filter_widgets_are_the_templates_html(data: Any) -> None:
    ours = fields_html(AuditFilterForm, WidgetHtmlRenderer(), data)
    assert ours == fields_html(AuditFilterForm, DjangoTemplates(), data)
    assert "<script>" not in "".join(ours)


@pytest.mark.parametrize("data", [None, {"value": HOSTILE, "kind": "email"}, {"kind": HOSTILE}])
def test_lookup_value_widgets_are_the_templates_html(data: Any) -> None:
    ours = fields_html(LookupValueForm, WidgetHtmlRenderer(), data)
    assert ours == fields_html(LookupValueForm, DjangoTemplates(), data)


class Grouped(forms.Form):
    pick = forms.ChoiceField(choices=[("Group", [("a", "A"), ("b", "B")]), ("c", "C")])
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")])
    radio = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
    text = forms.CharField(widget=forms.Textarea)


def test_widgets_it_does_not_write_are_left_to_the_templates() -> None:
    data = {"pick": "b", "many": ["a", "b"], "radio": "a", "text": HOSTILE}
    ours = fields_html(Grouped, WidgetHtmlRenderer(), data)
    assert ours == fields_html(Grouped, DjangoTemplates(), data)
    assert "<optgroup" in ours[0]
