"""Security: who may open what, CSRF, path injection, stored XSS, and CDP credentials kept secret.

The authorisation matrix is generated from the URL conf: every named route of `orders.urls`
(plus sign-in, sign-out and password change) is requested as every role, and a route with no
rule in `RULES` fails, so a new view cannot ship without someone deciding who may use it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from orders.cdp.client import reset_client
from orders.models import AuditEntry, BulkJob
from orders.sandbox.server import SandboxServer
from orders.services.extensions import order_extension_set
from orders.services.notes import note_add
from tests.conftest import make_staff
from tests.factories import seed_full_order

pytestmark = pytest.mark.integration

ROLES = ("anonymous", "cs", "marketing", "auditor", "superuser")
GROUPS = {"cs": "Customer service", "marketing": "Marketing", "auditor": "Auditor"}

# Who holds each permission a view checks (DESIGN §2; orders/roles.py).
ALLOWED = {
    "anyone": set(ROLES),
    "signed_in": {"cs", "marketing", "auditor", "superuser"},
    "view_orders": {"cs", "marketing", "superuser"},
    "change_orders": {"cs", "superuser"},
    "notes": {"cs", "superuser"},
    "note_author": {"cs"},  # the note is Casey's; only its author may change its text
    "extensions": {"marketing", "superuser"},
    "bulk": {"marketing", "superuser"},
    # Jobs are read by who runs them and by auditors, whose entries link to them.
    "read_jobs": {"marketing", "auditor", "superuser"},
    "audit": {"auditor", "superuser"},
    "revert": {"superuser"},
}


@dataclass(frozen=True)
class Rule:
    """How to call a route, who may, and the status those allowed get."""

    method: str
    allowed: str
    ok: int = 200
    # What a signed-in user without the permission gets; anonymous users go to sign-in.
    refused: int = 403


def get(allowed: str, ok: int = 200) -> Rule:
    return Rule("GET", allowed, ok)


def post(allowed: str, ok: int = 302) -> Rule:
    return Rule("POST", allowed, ok)


EXT_RULES = {
    "grid": get("view_orders"),
    "add": post("extensions", ok=200),  # an empty form comes back with its errors
    "replace": get("extensions"),
    "row": get("view_orders"),
    "row-edit": get("extensions"),
    "save": post("extensions", ok=200),  # an empty form comes back with its errors
    "delete": post("extensions"),  # no value seen: a conflict, reported on the order page
    "delete-foreign": post("extensions"),  # no key named: refused, said on the order page
}

RULES: dict[str, Rule] = {
    "login": get("anyone"),
    "logout": post("anyone"),
    "password_change": get("signed_in"),
    "home": Rule("GET", "view_orders", refused=302),  # auditors land on the audit trail
    "order-search": get("view_orders"),
    "order-lookup": get("view_orders"),
    "find": post("view_orders", ok=200),  # an empty box comes back with its error
    "guest-lookup": get("view_orders", ok=302),  # no lookup in the session: back to search
    "guest-detail": get("view_orders"),
    "order-create": get("change_orders"),
    "order-detail": get("view_orders"),
    "order-edit": get("change_orders"),
    "order-delete": get("change_orders"),
    **{
        f"{part}-{action}": get("change_orders")
        for part in ("item", "contact", "consumer")
        for action in ("create", "edit", "delete")
    },
    "note-create": post("notes"),
    "note-edit": get("note_author"),
    **{f"ext-{name}": rule for name, rule in EXT_RULES.items()},
    **{f"ext-item-{name}": rule for name, rule in EXT_RULES.items()},
    "bulk-new": get("bulk"),
    "bulk-run": post("bulk"),  # no signed plan: back to the compose page
    "bulk-jobs": get("read_jobs"),
    "bulk-job": get("read_jobs"),
    "bulk-job-progress": get("read_jobs", ok=286),  # the job is cancelled below: polling stops
    "bulk-job-cancel": post("bulk"),
    "bulk-job-retry": post("bulk"),
    "bulk-job-revert": get("bulk"),
    "audit-list": get("audit"),
    "audit-activity": get("audit"),
    "audit-detail": get("audit"),
    "audit-revert": get("revert"),
    "audit-key-history": get("audit"),
    "audit-export": get("audit"),
    "audit-verify": post("audit"),
    "audit-lookup-value": post("audit"),  # hashed, then on to the filtered list
}
EXTRA_ROUTES = ("login", "logout", "password_change")


def app_routes() -> dict[str, URLPattern]:
    """Every named route of `orders.urls`, plus sign-in, sign-out and password change."""
    found: dict[str, URLPattern] = {}

    def walk(patterns: list[Any], in_orders: bool) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                module = getattr(entry.urlconf_module, "__name__", "")
                walk(entry.url_patterns, in_orders or module == "orders.urls")
            elif entry.name and (in_orders or entry.name in EXTRA_ROUTES):
                found.setdefault(entry.name, entry)

    walk(get_resolver().url_patterns, False)
    return found


ROUTES = app_routes()


@dataclass
class World:
    """Sample data for every path parameter, and a signed-in client per role."""

    clients: dict[str, Client]
    params: dict[str, str]
    refs: dict[str, str]

    def url(self, name: str) -> str:
        pattern = ROUTES[name].pattern
        wanted = getattr(pattern, "converters", {})
        kwargs = {}
        for param in wanted:
            if param == "ref":
                kwargs[param] = self.refs[name.split("-")[0]]
            else:
                kwargs[param] = self.params[param]
        return reverse(name, kwargs=kwargs)


@pytest.fixture
def world(db: None, sandbox: SandboxServer, settings: Any) -> World:
    # Five users per test: a fast hasher keeps the matrix to seconds, not minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = {role: make_staff(f"user-{role}", group) for role, group in GROUPS.items()}
    users["superuser"] = make_staff("user-root", None, is_superuser=True, is_staff=True)
    seeded = seed_full_order(sandbox)
    order_ref = seeded["order"]["ref"]
    note = note_add(author=users["cs"], order_ref=order_ref, text="Called.")
    audited = order_extension_set(
        actor=users["superuser"],
        order_ref=order_ref,
        pairs={"loyaltyTier": 3},
    )
    job = BulkJob.objects.create(created_by=users["marketing"], status=BulkJob.Status.CANCELLED)
    clients = {"anonymous": Client()}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    sandbox.clear_log()
    return World(
        clients=clients,
        params={
            "order_ref": order_ref,
            "item_ref": seeded["item"]["ref"],
            "key": "loyaltyTier",
            "note_pk": str(note.pk),
            "job_id": str(job.id),
            "pk": str(audited.entry.pk),
            "guest_ref": seeded["contact"]["guest"]["href"].rsplit("/", 1)[1],
        },
        refs={
            "item": seeded["item"]["ref"],
            "contact": seeded["contact"]["ref"],
            "consumer": seeded["consumer"]["ref"],
        },
    )


def test_every_route_has_an_authorisation_rule() -> None:
    missing = sorted(set(ROUTES) - set(RULES))
    stale = sorted(set(RULES) - set(ROUTES))

    assert not missing, f"New view without a rule in RULES: {missing}"
    assert not stale, f"Rules for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_role_gets_the_expected_status_on_each_route(
    world: World, name: str, role: str
) -> None:
    rule = RULES.get(name)
    assert rule is not None, f"New view without a rule: {name} ({ROUTES[name].pattern})"
    url = world.url(name)
    client = world.clients[role]

    response = client.get(url) if rule.method == "GET" else client.post(url, {})

    if role in ALLOWED[rule.allowed]:
        expected = rule.ok
    elif role == "anonymous":
        expected = 302
    else:
        expected = rule.refused
    assert response.status_code == expected, f"{rule.method} {url} as {role}"
    if role == "anonymous" and expected == 302 and rule.allowed != "anyone":
        assert response["Location"].startswith("/accounts/login/?next=")


# --- CSRF -----------------------------------------------------------------------------------


def post_routes() -> list[str]:
    """Every route a browser sends a POST to (POST-only ones, and GET forms that POST back)."""
    return sorted(name for name in ROUTES if name not in {"login"})


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("name", post_routes())
def test_every_post_without_a_csrf_token_is_refused(
    world: World, sandbox: SandboxServer, name: str, htmx: bool
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="user-root"))
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = client.post(world.url(name), {"text": "x", "key": "a", "value": "b"}, **headers)

    assert response.status_code == 403
    assert [r for r in sandbox.request_log if r.method != "GET"] == []


def test_sign_in_without_a_csrf_token_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "user-cs", "password": "x"})

    assert response.status_code == 403


def test_an_htmx_post_with_the_token_from_the_page_header_is_accepted(
    world: World, sandbox: SandboxServer
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="user-marketing"))
    order_ref = world.params["order_ref"]
    page = client.get(f"/orders/{order_ref}/").content.decode()
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]

    response = client.post(
        f"/orders/{order_ref}/ext/add/",
        {"key": "newKey", "type": "string", "value": "v"},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 200
    assert [r.method for r in sandbox.request_log if r.method != "GET"] == ["PATCH"]


# --- Path injection -------------------------------------------------------------------------

GOOD_REF = "0f8fad5b-d9cb-469f-a165-70867728950e"
HOSTILE_REFS = [
    "../guests/x",
    "..%2Fguests%2Fx",
    "%2e%2e%2f",
    "%2e%2e%2fguests",
    f"{GOOD_REF}%2F..%2F..%2Fguests",
    f"{GOOD_REF}%2Fextensions",
    f"{GOOD_REF}/../../guests",
    GOOD_REF + "0",
    GOOD_REF[:-1],
    GOOD_REF + "a" * 5000,
    "not-a-uuid",
    "0f8fad5b_d9cb_469f_a165_70867728950e",
    "0F8FAD5B-D9CB-469F-A165-70867728950E%00",
    "[0f8fad5b-d9cb-469f-a165-70867728950e]",
]
REF_URLS = [
    "/orders/{ref}/",
    "/orders/{ref}/edit/",
    "/orders/{ref}/delete/",
    "/orders/{ref}/items/new/",
    "/orders/{ref}/ext/",
    "/orders/{ref}/ext/keys/loyaltyTier/",
    "/orders/{good}/items/{ref}/edit/",
    "/orders/{good}/contacts/{ref}/delete/",
    "/orders/{good}/consumers/{ref}/edit/",
    "/orders/{good}/items/{ref}/ext/",
]


@pytest.mark.parametrize("url", REF_URLS)
@pytest.mark.parametrize("ref", HOSTILE_REFS)
def test_a_hostile_ref_is_a_404_and_never_reaches_cdp(
    world: World, sandbox: SandboxServer, url: str, ref: str
) -> None:
    client = world.clients["superuser"]

    got = client.get(url.format(ref=ref, good=GOOD_REF))
    posted = client.post(url.format(ref=ref, good=GOOD_REF), {"price": "1"})

    assert (got.status_code, posted.status_code) == (404, 404)
    assert sandbox.request_log == []


@pytest.mark.parametrize(
    "url",
    [
        "/orders/{ref}/extensions/ext/",
        "/orders/{ref}/ext2/",
        "/orders/{ref}/EXT/",
        "/orders/{ref}/ext%2F..%2F/",
        "/orders/{ref}/ext/keys/../",
        "/orders/{ref}/ext/keys/%2e%2e%2f/",
        "/orders/{ref}/ext/keys/a%2Fb/",
        "/orders/{ref}/ext/keys/name/",
        "/orders/{ref}/ext/keys/ref/",
        "/orders/{ref}/ext/keys/key%7Cother/",
        "/orders/{ref}/ext/keys/9key/",
        "/orders/{ref}/ext/keys/key%3Fname%3Dx/",
        "/orders/{ref}/ext/keys/" + "a" * 256 + "/",
    ],
)
def test_other_extension_names_and_bad_keys_are_a_404_and_never_reach_cdp(
    world: World, sandbox: SandboxServer, url: str
) -> None:
    client = world.clients["superuser"]
    address = url.format(ref=world.params["order_ref"])

    got = client.get(address)
    deleted = client.post(address + "delete/", {"seen": "1"})

    assert (got.status_code, deleted.status_code) == (404, 404)
    assert sandbox.request_log == []


def test_a_hostile_search_value_is_sent_as_a_query_parameter_only(
    world: World, sandbox: SandboxServer
) -> None:
    client = world.clients["cs"]

    client.get("/orders/", {"referenceId": "../../guests?x=1&limit=5000#"})

    paths = {r.path for r in sandbox.request_log}
    assert paths <= {"/v2.1/orders"}


# --- Stored XSS -----------------------------------------------------------------------------

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def assert_inert(html: str, payload: str) -> None:
    assert payload not in html
    assert "<script>alert(1)" not in html
    assert "<img src=x onerror" not in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_in_cdp_data_and_notes_is_rendered_inert_everywhere(
    world: World, sandbox: SandboxServer, payload: str
) -> None:
    order_ref = world.params["order_ref"]
    item_ref = world.params["item_ref"]
    sandbox.state.put_order_extension(order_ref, {"loyaltyTier": payload, "storeLocation": payload})
    sandbox.state.touch_order(order_ref, pointOfSale=payload)
    sandbox.state.create_contact(order_ref, {"firstName": payload, "lastName": payload})
    note_add(author=User.objects.get(username="user-cs"), order_ref=order_ref, text=payload)
    marketing = world.clients["marketing"]
    marketing.post(
        f"/orders/{order_ref}/items/{item_ref}/ext/add/",
        {"key": "note", "type": "string", "value": payload},
        HTTP_HX_REQUEST="true",
    )
    intent = AuditEntry.objects.filter(phase="intent").latest("id")

    pages = {
        "order page (CS)": world.clients["cs"].get(f"/orders/{order_ref}/"),
        "order page (marketing)": marketing.get(f"/orders/{order_ref}/"),
        "grid": marketing.get(f"/orders/{order_ref}/ext/", HTTP_HX_REQUEST="true"),
        "item grid": marketing.get(
            f"/orders/{order_ref}/items/{item_ref}/ext/", HTTP_HX_REQUEST="true"
        ),
        "row edit": marketing.get(
            f"/orders/{order_ref}/ext/keys/loyaltyTier/edit/", HTTP_HX_REQUEST="true"
        ),
        "order edit": world.clients["cs"].get(f"/orders/{order_ref}/edit/"),
        "audit list": world.clients["auditor"].get("/audit/"),
        "audit detail": world.clients["auditor"].get(f"/audit/{intent.pk}/"),
        "search": world.clients["cs"].get("/orders/", {"referenceId": payload}),
    }

    for where, response in pages.items():
        assert response.status_code == 200, where
        html = response.content.decode()
        assert_inert(html, payload)
    assert "&lt;script&gt;" in pages["order page (CS)"].content.decode() or "&quot;&gt;&lt;img" in (
        pages["order page (CS)"].content.decode()
    )


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_audit_export_neutralises_spreadsheet_formulas(
    world: World, sandbox: SandboxServer, start: str
) -> None:
    order_ref = world.params["order_ref"]
    formula = f'{start}HYPERLINK("http://evil.example","x")'
    marketing_user = User.objects.get(username="user-marketing")
    order_extension_set(
        actor=marketing_user,
        order_ref=order_ref,
        pairs={"campaign": formula},
    )
    # A username is free text too; make one cell start with the formula character.
    marketing_user.username = formula[:150]
    marketing_user.save()
    order_extension_set(
        actor=marketing_user,
        order_ref=order_ref,
        pairs={"campaign": "plain"},
    )

    response = world.clients["auditor"].get("/audit/export.csv")
    text = b"".join(response.streaming_content).decode()

    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    dangerous = [cell for cell in cells if cell[:1] in {"=", "+", "-", "@"}]
    assert dangerous == []
    assert any(cell == "'" + formula for cell in cells)


# --- CDP credentials ------------------------------------------------------------------------

CLIENT_KEY = "ck-Zq9ZEBRA-distinctive-7731"
API_TOKEN = "tok-Xy4PELICAN-distinctive-0452"


@pytest.fixture
def secret_creds(world: World, sandbox: SandboxServer, settings: Any) -> Iterator[tuple[str, str]]:
    sandbox.config.client_key = CLIENT_KEY
    sandbox.config.api_token = API_TOKEN
    settings.CDP_CLIENT_KEY = CLIENT_KEY
    settings.CDP_API_TOKEN = API_TOKEN
    reset_client()
    yield CLIENT_KEY, API_TOKEN
    reset_client()


def test_cdp_credentials_appear_in_no_page_log_error_or_audit_row(
    world: World,
    sandbox: SandboxServer,
    secret_creds: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    order_ref = world.params["order_ref"]
    cs, marketing = world.clients["cs"], world.clients["marketing"]
    # CDP echoes the credentials back in its error wording, the worst case.
    echo = json.dumps({"status": 401, "message": f"bad credentials {CLIENT_KEY}:{API_TOKEN}"})
    seen: list[str] = []

    def visit(response: Any) -> None:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        seen.append(content.decode(errors="replace"))
        seen.append(str(dict(response.headers)))

    visit(cs.get(f"/orders/{order_ref}/"))
    visit(cs.get("/orders/", {"referenceId": "B94TXY-1"}))
    sandbox.inject(status=401, times=1, method="GET", body=echo)
    visit(cs.get(f"/orders/{order_ref}/"))
    sandbox.inject(status=401, times=1, method="PATCH", body=echo)
    visit(
        marketing.post(
            f"/orders/{order_ref}/ext/add/",
            {"key": "tag", "type": "string", "value": "x"},
            HTTP_HX_REQUEST="true",
        )
    )
    sandbox.config.api_token = "rotated-elsewhere"  # every call is now a real 401
    visit(cs.get(f"/orders/{order_ref}/"))
    visit(cs.get("/orders/", {"referenceId": "B94TXY-1"}))
    visit(
        cs.post(
            f"/orders/{order_ref}/items/new/",
            {
                "name": "Seat",
                "type": "Seat",
                "status": "CONFIRMED",
                "price": "5",
                "currencyCode": "EUR",
            },
        )
    )
    visit(
        marketing.post(
            f"/orders/{order_ref}/ext/keys/loyaltyTier/delete/",
            {"seen": "3"},
            HTTP_HX_REQUEST="true",
        )
    )
    visit(world.clients["auditor"].get("/audit/"))
    visit(world.clients["auditor"].get("/audit/export.csv"))

    assert AuditEntry.objects.filter(cdp_status=401).exists(), "the run must include a 401"
    rows = [json.dumps(row, default=str) for row in AuditEntry.objects.values()]
    records = [
        f"{r.getMessage()} {r.exc_text or ''} {r.exc_info[1]!r}" if r.exc_info else r.getMessage()
        for r in caplog.records
    ]
    for secret in secret_creds:
        for where, texts in (("page", seen), ("log line", records), ("audit row", rows)):
            leaked = [text for text in texts if secret in text]
            assert leaked == [], f"{secret} leaked into a {where}: {leaked[0][:300]}"


def test_client_errors_and_reprs_never_carry_the_credentials(
    world: World, sandbox: SandboxServer, secret_creds: tuple[str, str]
) -> None:
    from orders.cdp import CdpError, get_client

    echo = json.dumps({"status": 401, "message": f"{CLIENT_KEY} {API_TOKEN}"})
    sandbox.inject(status=401, times=1, body=echo)
    client = get_client()

    with pytest.raises(CdpError) as caught:
        client.order_get(world.params["order_ref"])

    texts = [str(caught.value), repr(caught.value), caught.value.cdp_message or "", repr(client)]
    texts += [str(getattr(caught.value, "__cause__", "")), str(vars(caught.value))]
    for secret in secret_creds:
        assert not [text for text in texts if secret in text]


def test_a_refused_request_is_logged_as_one_line_without_a_traceback(
    auditor_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="django.request")

    response = auditor_client.get("/bulk/")

    assert response.status_code == 403
    refused = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in refused] == ["Forbidden (Permission denied): /bulk/"]
    assert refused[0].exc_info is None and refused[0].exc_text is None
    assert "Traceback" not in caplog.text
