"""The data-extension grid's parts that repeat per key, built in Python rather than per-option
template loops (the key suggestions run to dozens of options on every grid)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from orders.ext_grid import ExtGrid

register = template.Library()


@register.simple_tag
def ext_key_options(grid: ExtGrid) -> SafeString:
    """The `<option>`s of the grid's key suggestions: each key with its usual type and count."""
    label = grid.scope.label
    return format_html_join(
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
