"""Who may sign in, and how: allauth's adapters for local accounts."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from orders.signin import client_ip


class AccountAdapter(DefaultAccountAdapter):
    """Local accounts are made by administrators, never by signing up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        # The same address the lockouts count (BEHIND_PROXY), for the sessions list too.
        return client_ip(request) or "0.0.0.0"  # noqa: S104 - a placeholder, never bound
