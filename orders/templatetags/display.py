"""Template filters over `orders.display` and `orders.changes`: one date, money and status
format on every page. The wording lives in those modules; these only add the markup.
"""

from __future__ import annotations

import html
from typing import Any

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from orders import display, links

register = template.Library()


def _escaped(value: Any) -> str:
    # A plain str takes the short way: Django's `escape` (and `mark_safe`) first check every
    # argument for a lazy string, which costs more than the escaping on a page of fifty rows.
    return html.escape(value) if type(value) is str else conditional_escape(value)


def row_html(format_string: str, *args: Any) -> SafeString:
    """`format_html(format_string, *args)`, the same text, for markup made once per row."""
    return SafeString(format_string.format(*map(_escaped, args)))


@register.filter
def when(value: Any) -> SafeString | str:
    """ "2 days ago" (or the date, when further away), the full time on hover."""
    found = display.moment(value)
    if found is None:
        return "—"
    return row_html('<time datetime="{}" title="{}">{}</time>', found.iso, found.full, found.short)


@register.filter
def when_exact(value: Any) -> SafeString | str:
    """The absolute date, with the relative one and the full time on hover."""
    found = display.moment(value)
    if found is None:
        return "—"
    hover = f"{found.full} ({found.relative})" if found.relative else found.full
    return format_html('<time datetime="{}" title="{}">{}</time>', found.iso, hover, found.absolute)


@register.filter
def money(amount: Any, currency: Any = "") -> SafeString:
    """Two decimals and the currency; static/js/cdpadmin.js re-renders it in the browser's
    locale (Intl.NumberFormat) when the amount and currency code are well formed.
    """
    value = display.as_decimal(amount)
    text = display.money(amount, currency)
    if value is None:
        return format_html('<span class="money">{}</span>', text)
    return format_html(
        '<data class="money" value="{}" data-currency="{}">{}</data>',
        f"{value:.2f}",
        str(currency or ""),
        text,
    )


@register.filter
def status_badge(value: Any) -> SafeString:
    return format_html(
        '<span class="status-badge tone-{}">{}</span>',
        display.status_tone(value),
        display.status_label(value),
    )


@register.filter
def status_words(value: Any) -> str:
    return display.status_label(value)


@register.simple_tag
def copy_button(value: Any, what: str) -> SafeString | str:
    """A button that copies `value`; `what` names it for screen readers ("Copy email")."""
    if value in (None, ""):
        return ""
    return format_html(
        '<button type="button" class="copy-button" data-copy="{}" aria-label="Copy {}" '
        'title="Copy {}">Copy</button>',
        str(value),
        what,
        what,
    )


@register.simple_tag
def url_for(name: str, *args: Any) -> str:
    """`{% url %}` for URLs whose arguments are CDP refs, keys or ids, without its per-call
    pattern matching (`orders.links`); the same URL, or the same error."""
    return links.url_for(name, *args)
