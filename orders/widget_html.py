"""A form renderer that writes the plain input and select widgets in Python.

Rendering a widget through Django's templates costs an include per widget, per attribute list
and per select option; a filter form of ten fields costs more than the rest of its page. The
HTML here is the same, byte for byte, as Django's own templates of the same names
(django/forms/widgets/input.html, attrs.html, select.html, select_option.html), escaped the
same way; any other widget template, or a select with optgroups or other option templates,
is rendered by Django's templates as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape

_WIDGETS = "django/forms/widgets/"
INPUT_TEMPLATES = frozenset(
    f"{_WIDGETS}{name}.html"
    for name in ("input", "text", "date", "email", "number", "search", "checkbox", "hidden")
)
SELECT_TEMPLATE = f"{_WIDGETS}select.html"
OPTION_TEMPLATE = f"{_WIDGETS}select_option.html"


def _attrs(attrs: Mapping[str, Any]) -> str:
    # attrs.html: False leaves the attribute out, True writes its bare name.
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def input_html(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}"'
        f' name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _option_html(option: Mapping[str, Any]) -> str:
    return (
        f'<option value="{conditional_escape(option["value"])}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>"
    )


def select_html(widget: Mapping[str, Any]) -> str | None:
    """The select, or None when it has what this does not write (optgroups, other options)."""
    options = []
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            return None
        for option in group_choices:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            # select_option.html ends with a newline, which the include keeps.
            options.append(f"\n  {_option_html(option)}\n")
    return (
        f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>'
        f"{''.join(options)}\n</select>"
    )


class WidgetHtmlRenderer(DjangoTemplates):
    """Django's template renderer, but for the widgets this module writes itself."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if widget is not None and template_name in INPUT_TEMPLATES:
            return input_html(widget)
        if widget is not None and template_name == SELECT_TEMPLATE:
            html = select_html(widget)
            if html is not None:
                return html
        return str(super().render(template_name, context, request))
