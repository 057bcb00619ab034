"""Single sign-on against a real OpenID Provider: users, roles from IdP groups, refusals."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission, User
from django.shortcuts import resolve_url
from django.test import Client

from orders.identity import GROUPS_CHANGE_ACTION
from orders.models import AuditEntry, IdentityGroupMapping
from orders.roles import ensure_staff_groups
from tests.conftest import PASSWORD, make_staff
from tests.identity.conftest import (
    IdentityProvider,
    decode_segment,
    sign_in_at_idp,
    sso_settings,
)

pytestmark = pytest.mark.integration

ROLE_OF = {
    "cdp-customer-service": "Customer service",
    "cdp-marketing": "Marketing",
    "cdp-auditors": "Auditor",
}


@pytest.fixture
def mappings(db: None) -> None:
    ensure_staff_groups(Group, Permission)
    for idp_group, role in ROLE_OF.items():
        IdentityGroupMapping.objects.create(idp_group=idp_group, group=Group.objects.get(name=role))


def roles(username: str) -> set[str]:
    return set(User.objects.get(username=username).groups.values_list("name", flat=True))


def sso_user(idp: IdentityProvider, idp_username: str) -> User:
    code = "from django.contrib.auth.models import User; print(User.objects.get(username={!r}).pk)"
    sub = idp.shell(code.format(idp_username)).strip()
    return SocialAccount.objects.get(provider="sso", uid=sub).user


def group_audit(user: User) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action=GROUPS_CHANGE_ACTION, resource_ref=str(user.pk)).order_by(
            "id"
        )
    )


def test_first_sign_in_creates_the_user_with_the_mapped_roles(
    sso: IdentityProvider, mappings: None
) -> None:
    sso.set_user("alice", ["cdp-customer-service", "cdp-marketing", "sales"])
    app = Client()

    response = sign_in_at_idp(app, "alice")

    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == resolve_url(django_settings.LOGIN_REDIRECT_URL)
    user = sso_user(sso, "alice")
    assert set(user.groups.values_list("name", flat=True)) == {"Customer service", "Marketing"}
    assert not user.has_usable_password()
    assert app.get("/orders/").status_code == 200
    (entry,) = group_audit(user)
    assert entry.before == {"groups": []}
    assert entry.after == {"groups": ["Customer service", "Marketing"]}
    assert entry.request_payload["via"] == "single sign-on"
    assert entry.request_payload["idp_groups"] == [
        "cdp-customer-service",
        "cdp-marketing",
        "sales",
    ]


def test_a_group_removed_at_the_idp_is_removed_at_the_next_sign_in_and_audited(
    sso: IdentityProvider, mappings: None
) -> None:
    sso.set_user("alice", ["cdp-customer-service", "cdp-marketing"])
    sign_in_at_idp(Client(), "alice")
    user = sso_user(sso, "alice")
    sso.set_user("alice", ["cdp-customer-service"])

    response = sign_in_at_idp(Client(), "alice")

    assert response.status_code == 302
    assert set(user.groups.values_list("name", flat=True)) == {"Customer service"}
    last = group_audit(user)[-1]
    assert last.before == {"groups": ["Customer service", "Marketing"]}
    assert last.after == {"groups": ["Customer service"]}
    assert last.actor_id == user.pk
    assert last.request_payload["via"] == "single sign-on"


def test_a_user_whose_groups_map_to_no_role_is_refused_with_whom_to_ask(
    sso: IdentityProvider, mappings: None, settings: Any
) -> None:
    settings.SSO_ACCESS_CONTACT = "the IT service desk (it-help@example.com)"
    sso.set_user("bob", ["sales"])
    app = Client()
    users_before = User.objects.count()

    response = sign_in_at_idp(app, "bob")

    assert response.status_code == 403
    page = response.content.decode()
    assert "is not in any group that gives access to cdpadmin" in page
    assert "Ask the IT service desk (it-help@example.com) to add you to one." in page
    assert User.objects.count() == users_before
    assert "_auth_user_id" not in app.session


def test_someone_removed_from_every_mapped_group_loses_their_roles_and_is_refused(
    sso: IdentityProvider, mappings: None
) -> None:
    sso.set_user("alice", ["cdp-auditors"])
    sign_in_at_idp(Client(), "alice")
    user = sso_user(sso, "alice")
    sso.set_user("alice", [])

    response = sign_in_at_idp(Client(), "alice")

    assert response.status_code == 403
    assert list(user.groups.all()) == []
    assert group_audit(user)[-1].after == {"groups": []}


def test_users_are_keyed_on_the_idps_subject_not_their_email(
    sso: IdentityProvider, mappings: None
) -> None:
    local = make_staff("carol-local", "Auditor")
    local.email = "carol@example.com"
    local.save()
    sso.set_user("carol", ["cdp-auditors"], email="carol@example.com")

    sign_in_at_idp(Client(), "carol")
    first = sso_user(sso, "carol")
    sso.set_user("carol", ["cdp-auditors"], email="carol.new@example.com")
    sign_in_at_idp(Client(), "carol")

    assert first.pk != local.pk
    assert sso_user(sso, "carol").pk == first.pk
    assert SocialAccount.objects.filter(user=local).count() == 0


# --- A tampered ID token --------------------------------------------------------------------


class TamperingProxy:
    """Stands between the app and the IdP's token endpoint, and can alter the ID token.

    Discovery is passed through with `token_endpoint` pointing here; everything else the app
    fetches (JWKS, userinfo, the browser's authorize request) goes to the IdP itself.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.tamper = False
        self.tokens_seen = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                config = requests.get(f"{proxy.upstream}{self.path}", timeout=10).json()
                config["token_endpoint"] = f"{proxy.url}/token"
                self.reply(200, json.dumps(config).encode())

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                config = requests.get(
                    f"{proxy.upstream}/.well-known/openid-configuration", timeout=10
                ).json()
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in {"authorization", "content-type"}
                }
                answer = requests.post(
                    config["token_endpoint"], data=body, headers=headers, timeout=10
                )
                tokens = answer.json()
                proxy.tokens_seen += 1
                if proxy.tamper and "id_token" in tokens:
                    header, payload, signature = tokens["id_token"].split(".")
                    claims = decode_segment(payload)
                    claims["groups"] = [*claims.get("groups", []), "cdp-auditors"]
                    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
                    tokens["id_token"] = f"{header}.{forged.decode()}.{signature}"
                self.reply(answer.status_code, json.dumps(tokens).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(sso: IdentityProvider, settings: Any) -> Iterator[TamperingProxy]:
    proxy = TamperingProxy(sso.url)
    settings.SOCIALACCOUNT_PROVIDERS = sso_settings(proxy.url)
    # Userinfo would otherwise speak for the ID token's groups; the ID token alone decides.
    settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]["settings"]["fetch_userinfo"] = (
        False
    )
    yield proxy
    proxy.close()


def test_an_id_token_altered_on_the_way_is_refused(
    proxy: TamperingProxy, sso: IdentityProvider, mappings: None
) -> None:
    sso.set_user("dave", ["cdp-marketing"])
    proxy.tamper = True
    app = Client()

    response = sign_in_at_idp(app, "dave")

    assert proxy.tokens_seen == 1
    assert response.status_code == 401  # allauth's sign-in failure page
    assert "Third-Party Login Failure" in response.content.decode()
    assert "_auth_user_id" not in app.session
    assert not SocialAccount.objects.exists()


def test_the_same_path_without_tampering_signs_in(
    proxy: TamperingProxy, sso: IdentityProvider, mappings: None
) -> None:
    sso.set_user("dave", ["cdp-marketing"])

    response = sign_in_at_idp(Client(), "dave")

    assert proxy.tokens_seen == 1
    assert response.status_code == 302
    assert roles(sso_user(sso, "dave").username) == {"Marketing"}


# --- Local passwords and changes by hand ----------------------------------------------------


@pytest.fixture
def fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_with_local_sign_in_off_only_superusers_use_a_password(
    db: None, fast_hasher: None, settings: Any
) -> None:
    settings.LOCAL_PASSWORD_SIGNIN = False
    make_staff("casey", "Customer service")
    make_staff("root", None, is_superuser=True, is_staff=True)

    refused = Client().post("/accounts/login/", {"login": "casey", "password": PASSWORD})
    allowed = Client().post("/accounts/login/", {"login": "root", "password": PASSWORD})

    assert refused.status_code == 200
    assert "Sign in with your company account" in refused.content.decode()
    assert allowed.status_code == 302


def test_the_sign_in_page_offers_the_company_account(sso: IdentityProvider) -> None:
    page = Client().get("/accounts/login/").content.decode()

    assert 'action="/accounts/oidc/sso/login/"' in page
    assert "Sign in with Test IdP" in page


def test_a_change_of_groups_by_hand_in_the_admin_is_audited(db: None) -> None:
    casey = make_staff("casey", "Customer service")
    root = make_staff("root", None, is_superuser=True, is_staff=True)
    admin = Client()
    admin.force_login(root)
    auditor = Group.objects.get(name="Auditor")

    response = admin.post(
        f"/admin/auth/user/{casey.pk}/change/",
        {
            "username": "casey",
            "email": casey.email,
            "is_active": "on",
            "groups": [auditor.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    # The admin replaces the groups: one removal, then one addition.
    removed, added = group_audit(casey)
    assert {removed.actor_id, added.actor_id} == {root.pk}
    assert {removed.request_payload["via"], added.request_payload["via"]} == {"admin"}
    assert (removed.before, removed.after) == ({"groups": ["Customer service"]}, {"groups": []})
    assert (added.before, added.after) == ({"groups": []}, {"groups": ["Auditor"]})


def test_group_changes_show_in_the_audit_trail(db: None) -> None:
    casey = make_staff("casey")
    auditor = Client()
    auditor.force_login(make_staff("avery", "Auditor"))
    casey.groups.add(Group.objects.get(name="Customer service"))  # e.g. from `manage.py shell`
    (entry,) = group_audit(casey)
    assert entry.request_payload["via"] == ""

    listing = auditor.get("/audit/")
    detail = auditor.get(f"/audit/{entry.pk}/")

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert GROUPS_CHANGE_ACTION in detail.content.decode()
    assert "Customer service" in detail.content.decode()
