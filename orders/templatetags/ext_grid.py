"""The data-extension grid's parts that repeat per key, built in Python rather than per-option
template loops (the key suggestions run to dozens of options on every grid)."""

from __future__ import annotations

from collections.abc import Mapping

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from orders.ext_grid import ExtGrid, KeyUsage

register = template.Library()

# The options last drawn for each scope, with the usage they were drawn from. A process counts
# key usage again only when someone has written (`orders.ext_grid.key_usage`) and hands every
# grid the same mapping until then, so the same mapping draws the same options.
_drawn: dict[str, tuple[Mapping[str, KeyUsage], SafeString]] = {}


@register.simple_tag
def ext_key_options(grid: ExtGrid) -> SafeString:
    """The `<option>`s of the grid's key suggestions: each key with its usual type and count."""
    label = grid.scope.label
    drawn = _drawn.get(label)
    if drawn is not None and drawn[0] is grid.usage:
        return drawn[1]
    options = format_html_join(
        "",
        '<option value="{}" data-type="{}" label="{} on {} {}{}"></option>',
        (
            (
                usage.key,
                usage.usual_type,
                usage.usual_type,
                usage.usual_count,
                label,
                "" if usage.usual_count == 1 else "s",
            )
            for usage in grid.usage.values()
        ),
    )
    _drawn[label] = (grid.usage, options)
    return options
