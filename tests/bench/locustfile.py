"""Locust model of cdpadmin's staff, for `make bench` (see tests/bench/load.py).

Each simulated member of staff is signed in (a session cookie made by the bench) and owns
two orders that share a referenceId. In a loop, with think time between every step, they
search for that referenceId, open their order, then either edit the order (open the form,
change the price, save) or change a pair in its data-extension grid (open the row's editor,
save a new value), as the htmx grid does. Responses that do not show the expected result
count as failures.

Set by the bench through the environment: BENCH_LOCUST_STAFF (a JSON file: one object per
member of staff with `session`, `reference_id`, `order_ref`), BENCH_LOCUST_THINK_S (mean
think time, default 10) and BENCH_LOCUST_JITTER_S (± around it, default 3).
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, SequentialTaskSet, between, task

STAFF = json.loads(Path(os.environ["BENCH_LOCUST_STAFF"]).read_text())
THINK_S = float(os.environ.get("BENCH_LOCUST_THINK_S", "10"))
JITTER_S = float(os.environ.get("BENCH_LOCUST_JITTER_S", "3"))
CSRF = "benchcsrftoken0123456789abcdefgh"  # any 32 letters/digits: cookie and header match
GRID_KEY = "loadCounter"
_next_member = itertools.count()


class FormFields(HTMLParser):
    """The fields of the page's form that holds `modifiedAt` (the edit form), as sent."""

    def __init__(self) -> None:
        super().__init__()
        self.current: dict[str, str] | None = None
        self.found: dict[str, str] = {}
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.current = {}
        elif self.current is None:
            return
        elif tag == "input" and attr.get("name") and attr.get("type") not in ("submit", "button"):
            if attr.get("type") in ("checkbox", "radio") and "checked" not in attr:
                return
            self.current[attr["name"]] = attr.get("value", "")
        elif tag == "select":
            self.select = attr.get("name")
            self.current.setdefault(self.select or "", "")
        elif tag == "option" and self.select and "selected" in attr:
            self.current[self.select] = attr.get("value", "")
        elif tag == "textarea" and attr.get("name"):
            self.current[attr["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "form" and self.current is not None:
            if "modifiedAt" in self.current:
                self.found = self.current
            self.current = None


def edit_form_fields(page: str) -> dict[str, str]:
    parser = FormFields()
    parser.feed(page)
    return parser.found


class Journey(SequentialTaskSet):
    """search → order page → an order edit or a grid save; `wait_time` between every step."""

    user: Staff

    def page(self, url: str, name: str, shows: str, headers: dict[str, str] | None = None) -> str:
        """GET `url` as step `name`; its text, or "" (a failure) unless it shows `shows`."""
        with self.client.get(
            url, headers=headers or self.user.headers, name=name, catch_response=True
        ) as response:
            if response.status_code != 200 or shows not in response.text:
                response.failure(f"{name}: {response.status_code}, without {shows!r}")
                return ""
            return str(response.text)

    @task
    def search(self) -> None:
        member = self.user.member
        url = f"/orders/?referenceId={member['reference_id']}"
        self.page(url, "search", shows=member["order_ref"])

    @task
    def order_page(self) -> None:
        self.page(f"/orders/{self.user.member['order_ref']}/", "order_page", shows="ext-grid")

    @task
    def change(self) -> None:
        if random.random() < 0.5:
            self.edit_order()
        else:
            self.save_grid_pair()

    def edit_order(self) -> None:
        url = f"/orders/{self.user.member['order_ref']}/edit/"
        fields = edit_form_fields(self.page(url, "edit_form", shows='name="modifiedAt"'))
        if not fields:
            return
        self.wait()
        fields["price"] = f"{random.randint(10, 2000)}.00"
        fields["csrfmiddlewaretoken"] = CSRF
        with self.client.post(
            url,
            data=fields,
            headers=self.user.headers,
            name="edit_save",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:  # the form again: refused, or a conflict
                errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.text)
                response.failure(f"edit save: {response.status_code} {errors[:1]}")

    def save_grid_pair(self) -> None:
        member = self.user.member
        base = f"/orders/{member['order_ref']}/ext/keys/{GRID_KEY}/"
        htmx = {**self.user.headers, "HX-Request": "true"}
        editor = self.page(f"{base}edit/", "grid_row_edit", shows='name="seen"', headers=htmx)
        seen = re.search(r'name="seen" value="([^"]*)"', editor)
        if seen is None:
            return
        self.wait()
        value = random.randint(0, 10**6)
        with self.client.post(
            f"{base}save/",
            data={
                "type": "integer",
                "value": str(value),
                "seen": html.unescape(seen.group(1)),
                "csrfmiddlewaretoken": CSRF,
            },
            headers=htmx,
            name="grid_save",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or str(value) not in response.text:
                response.failure(f"grid save: {response.status_code}")
            elif "errornote" in response.text:
                response.failure("grid save: refused")


class Staff(FastHttpUser):
    tasks = [Journey]
    wait_time = between(max(0.0, THINK_S - JITTER_S), THINK_S + JITTER_S)

    def on_start(self) -> None:
        self.member: dict[str, Any] = STAFF[next(_next_member) % len(STAFF)]
        self.headers = {
            "Cookie": f"sessionid={self.member['session']}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
        }
        # Staff at work are each somewhere in their cycle. Locust starts a second's worth of
        # users at once, and each batch searched in the same instant: the last batch's
        # searches, still running when the stats were reset, were the slowest counted.
        gevent.sleep(random.uniform(0, THINK_S + JITTER_S))
