"""Pieces every view module uses."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request to a view behind `login_required`: htmx details and a signed-in `User`."""

    htmx: HtmxDetails
    user: User
