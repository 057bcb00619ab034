"""A page's frame (header, navigation, messages, footer) rendered apart from its content.

The order page renders its frame while CDP's answers are on their way, and fills in only what
the answers decide afterwards: the title, the last crumb and the page itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

# The template engine escapes every value it renders, and an escaped `<` is `&lt;`, so these
# markers can only come from the frame's own template.
SLOTS = {name: mark_safe(f"<cdp-slot:{name}>") for name in ("title", "crumb", "page")}
_SLOT = re.compile(r"<cdp-slot:(title|crumb|page)>")


class PageResponse(HttpResponse):
    """A response that runs its `after_sent` tasks once the server has sent it.

    A WSGI server calls `close()` when the last byte is written, so work the page does not
    show (bookkeeping) runs there, and the user does not wait for it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after_sent: list[Callable[[], None]] = []

    def close(self) -> None:
        try:
            for task in self.after_sent:
                task()
        finally:
            super().close()


@dataclass(frozen=True)
class Frame:
    html: str

    def response(
        self, page_template: str, context: dict[str, Any], *, request: HttpRequest, status: int
    ) -> PageResponse:
        """The whole page: `context`'s title and crumb and `page_template` put in the frame.

        The slots are filled in one pass, so nothing put in is searched for slots again.
        """
        parts = {
            "title": conditional_escape(context["title"]),
            "crumb": conditional_escape(context.get("crumb", context["title"])),
            "page": render_to_string(page_template, context, request),
        }
        return PageResponse(_SLOT.sub(lambda slot: parts[slot[1]], self.html), status=status)


def render_frame(template_name: str, *, request: HttpRequest) -> Frame:
    """`template_name` rendered with slots: `title`, `slots.crumb` and `slots.page`."""
    context = {"title": SLOTS["title"], "slots": SLOTS}
    return Frame(render_to_string(template_name, context, request))
