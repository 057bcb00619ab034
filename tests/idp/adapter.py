from __future__ import annotations

from typing import Any

from allauth.idp.oidc.adapter import DefaultOIDCAdapter


class GroupsClaimAdapter(DefaultOIDCAdapter):
    """Adds a `groups` claim, as Entra ID, Okta and Google Workspace can be set up to."""

    def get_claims(self, purpose: str, user: Any, client: Any, scopes: Any, **kwargs: Any) -> dict:
        claims = super().get_claims(purpose, user, client, scopes, **kwargs)
        claims["groups"] = sorted(user.groups.values_list("name", flat=True))
        return claims
