"""An unexpected error shows the styled 500 page, with a request id its log line also has; in
trial mode the sign-in page shows the demo login."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from cdpadmin.request_id import RequestIdLogFilter

pytestmark = pytest.mark.django_db


def broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("the search form exploded")


def test_an_unexpected_error_shows_the_500_page_with_the_request_id_of_its_log_line(
    cs_user: User, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("orders.views.search.SearchForm", broken)
    client = Client(raise_request_exception=False)
    client.force_login(cs_user)

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get(reverse("order-search"))

    assert response.status_code == 500
    page = response.content.decode()
    request_id = response["X-Request-ID"]
    assert "Something went wrong" in page and "the search form exploded" not in page
    assert f'<code id="request-id">{request_id}</code>' in page
    assert f'<a class="button" href="{reverse("order-search")}">Back to' in page
    assert 'id="site-name"' in page  # the admin look, not a bare "Server Error (500)"
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    formatter = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"])
    RequestIdLogFilter().filter(record)
    line = formatter.format(record)
    assert line.startswith(f"Internal Server Error: /orders/ [request {request_id}]")
    assert "RuntimeError: the search form exploded" in line


def test_every_answer_names_its_request_id(cs_client: Client) -> None:
    first, second = cs_client.get("/"), cs_client.get("/")

    assert len(first["X-Request-ID"]) == 12
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_in_trial_mode_the_sign_in_page_shows_the_demo_login(settings: object) -> None:
    User.objects.create_user("demo", password="cdpadmin-demo", is_staff=True)

    page = Client().get("/accounts/login/").content.decode()

    assert "sign in as <strong><code>demo</code></strong>" in page
    assert "<code>cdpadmin-demo</code>" in page


def test_with_real_credentials_the_sign_in_page_keeps_the_demo_login_to_itself(
    settings: object,
) -> None:
    User.objects.create_user("demo", password="cdpadmin-demo", is_staff=True)
    settings.CDP_SANDBOX = False  # type: ignore[attr-defined]

    page = Client().get("/accounts/login/").content.decode()

    assert "cdpadmin-demo" not in page and 'id="demo-login"' not in page
