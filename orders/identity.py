"""Who may sign in, and how: allauth's adapters, single sign-on's group mapping, and audit.

Staff who sign in through the company's identity provider are keyed on the IdP's stable
subject (`sub`, or SAML's NameID), never on their email address. Their roles are exactly
the groups their IdP groups map to (`IdentityGroupMapping`), re-synced at every sign-in, so
a group removed at the IdP is removed here at the next sign-in; someone whose IdP groups map
to no role is refused. Every change of a user's groups, by the sync or by hand, is a row of
the audit trail.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.forms import LoginForm
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.utils import is_mfa_enabled
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Group, User
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from orders.audit import append_entry
from orders.models import AuditEntry, IdentityGroupMapping
from orders.roles import GROUP_PERMISSIONS
from orders.selectors.compiled import CompiledQuery
from orders.signin import client_ip

GROUPS_CHANGE_ACTION = "staff_groups_change"
GROUPS_RESOURCE = "staff_user"
SSO_SYNC = "single sign-on"
LOCAL_SIGNIN_OFF = "Sign in with your company account: password sign-in is kept for administrators."

# Who is changing a user's groups right now (the sync or an administrator), for the audit row.
_acting: contextvars.ContextVar[tuple[User | None, str, dict[str, Any]]] = contextvars.ContextVar(
    "cdpadmin_groups_actor", default=(None, "", {})
)


@contextmanager
def groups_changed_by(actor: User | None, via: str, **details: Any) -> Iterator[None]:
    token = _acting.set((actor, via, details))
    try:
        yield
    finally:
        _acting.reset(token)


# --- Local accounts -------------------------------------------------------------------------


class AccountAdapter(DefaultAccountAdapter):
    """Local accounts are made by administrators, never by signing up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        # Any sign-in through allauth (password or SSO) ends here, after its second factor.
        required = settings.SUPERUSER_TWO_FACTOR_REQUIRED
        if required and user.is_superuser and not is_mfa_enabled(user):
            request.session[TWO_FACTOR_REQUIRED] = True

    def get_client_ip(self, request: HttpRequest) -> str:
        # The same address the lockouts count (BEHIND_PROXY), for the sessions list too.
        return client_ip(request) or "0.0.0.0"  # noqa: S104 - a placeholder, never bound


TWO_FACTOR_REQUIRED = "cdpadmin_two_factor_required"
TWO_FACTOR_EXEMPT = ("/accounts/2fa/", "/accounts/logout/", "/accounts/reauthenticate/", "/static/")
SET_UP_TWO_FACTOR = "Superusers sign in with a second factor: set up an authenticator app first."


# The signed-in user is read before anything else on every page; building and compiling
# Django's query for it took longer than running it.
_USER_BY_PK = CompiledQuery(lambda pk: User.objects.filter(pk=pk), pk=987_654_321)


class StaffBackend(AuthenticationBackend):
    """allauth's backend (Django's ModelBackend, extended), reading each request's user by a
    query compiled once per process."""

    def get_user(self, user_id: Any) -> User | None:
        found = _USER_BY_PK.run(pk=int(user_id))
        if not found or not self.user_can_authenticate(found[0]):
            return None
        return found[0]


class SuperuserTwoFactorMiddleware:
    """A superuser signed in without a second factor sets one up before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.session.get(TWO_FACTOR_REQUIRED) and request.user.is_authenticated:
            if is_mfa_enabled(request.user):
                del request.session[TWO_FACTOR_REQUIRED]
            elif not request.path.startswith(TWO_FACTOR_EXEMPT):
                messages.warning(request, SET_UP_TWO_FACTOR)
                return redirect("mfa_activate_totp")
        return self.get_response(request)


class LocalLoginForm(LoginForm):
    """The password form; with LOCAL_PASSWORD_SIGNIN off, only for superusers (break-glass)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = getattr(self, "user", None)
        if user is not None and not settings.LOCAL_PASSWORD_SIGNIN and not user.is_superuser:
            raise forms.ValidationError(LOCAL_SIGNIN_OFF, code="local_signin_off")
        return cleaned


# --- Single sign-on -------------------------------------------------------------------------


def refusal_message() -> str:
    roles = ", ".join(GROUP_PERMISSIONS)
    return (
        f"Your company account is not in any group that gives access to cdpadmin ({roles}). "
        f"Ask {settings.SSO_ACCESS_CONTACT} to add you to one."
    )


def idp_groups(sociallogin: SocialLogin) -> list[str]:
    """The groups the IdP says this user is in: the ID token's claim, else userinfo's."""
    data = sociallogin.account.extra_data or {}
    claim = settings.SSO_GROUPS_CLAIM
    sources = [data.get("id_token"), data.get("userinfo"), data]
    for source in sources:
        if isinstance(source, dict) and claim in source:
            value = source[claim]
            values = value if isinstance(value, list | tuple) else [value]
            return sorted({str(v) for v in values if isinstance(v, str | int)})
    return []


def mapped_groups(names: Iterable[str]) -> set[Group]:
    mappings = IdentityGroupMapping.objects.filter(idp_group__in=list(names))
    return {mapping.group for mapping in mappings.select_related("group")}


def groups_sync(*, user: User, idp_group_names: list[str]) -> None:
    """Give `user` exactly the roles their IdP groups map to; other groups stay as they are."""
    wanted = mapped_groups(idp_group_names)
    managed = set(Group.objects.filter(name__in=GROUP_PERMISSIONS)) | {
        m.group for m in IdentityGroupMapping.objects.select_related("group")
    }
    current = set(user.groups.all())
    with groups_changed_by(user, SSO_SYNC, idp_groups=idp_group_names):
        if current & managed - wanted:
            user.groups.remove(*(current & managed - wanted))
        if wanted - current:
            user.groups.add(*(wanted - current))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Single sign-on: new staff are created on first sign-in, keyed on the IdP's subject."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        names = idp_groups(sociallogin)
        if sociallogin.is_existing:
            groups_sync(user=sociallogin.user, idp_group_names=names)
        if not mapped_groups(names):
            raise ImmediateHttpResponse(
                render(
                    request,
                    "account/refused.html",
                    {"message": refusal_message()},
                    status=403,
                )
            )

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> User:
        user = super().save_user(request, sociallogin, form)
        groups_sync(user=user, idp_group_names=idp_groups(sociallogin))
        return user


class VerifiedIdTokenAdapter(OpenIDConnectOAuth2Adapter):
    """allauth's OIDC adapter, checking the ID token's signature too.

    allauth skips the signature of an ID token it fetched itself over TLS, as OIDC allows;
    cdpadmin checks it anyway, so a token altered on the way (a TLS-inspecting proxy, a
    misconfigured endpoint) is refused.
    """

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )


def oidc_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        view = OAuth2CallbackView.adapter_view(VerifiedIdTokenAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc


# --- Audit of group changes -----------------------------------------------------------------


def _group_names(user: User) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def _audit_groups_change(user: User, before: list[str], after: list[str]) -> None:
    if before == after:
        return
    actor, via, details = _acting.get()
    append_entry(
        actor=actor if actor is not None and actor.pk else None,
        actor_username=actor.get_username() if actor is not None else "",
        action=GROUPS_CHANGE_ACTION,
        phase=AuditEntry.Phase.OBSERVED,
        resource_type=GROUPS_RESOURCE,
        resource_ref=str(user.pk),
        request_payload={"user": user.get_username(), "via": via, **details},
        before={"groups": before},
        after={"groups": after},
    )


GROUPS_AUDIT_UID = "cdpadmin-audit-groups"


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid=GROUPS_AUDIT_UID)
def _groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in {
        "pre_add",
        "pre_remove",
        "pre_clear",
        "post_add",
        "post_remove",
        "post_clear",
    }:
        return
    if action.startswith("pre_"):
        # Forward (user.groups.add) or reverse (group.user_set.add): whose groups change.
        if not reverse:
            users = [instance]
        elif pk_set is not None:
            users = list(User.objects.filter(pk__in=pk_set))
        else:
            users = list(instance.user_set.all())
        instance._cdpadmin_groups_before = {u.pk: _group_names(u) for u in users}
        return
    before = getattr(instance, "_cdpadmin_groups_before", {})
    for user in User.objects.filter(pk__in=before).order_by("pk"):
        _audit_groups_change(user, before[user.pk], _group_names(user))
