"""`url_for` gives exactly the URL `reverse` gives, for every URL of the app, or the same error."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from orders.links import url_for
from orders.urls import urlpatterns

pytestmark = pytest.mark.unit

VALUES = {
    "cdpref": [
        "2d7de9df-45a2-45ea-872c-30e45139007d",
        "2D7DE9DF-45A2-45EA-872C-30E45139007D",
        "not-a-ref",
        "2d7de9df-45a2-45ea-872c-30e45139007d/../x",
    ],
    "extkey": ["loyaltyTier", "a", "x9Y", "Upper", "with space", "a|b", "<b>"],
    "int": [7, 0, 123456789012, -1, "12"],
    "uuid": [
        "2d7de9df-45a2-45ea-872c-30e45139007d",
        "2D7DE9DF-45A2-45EA-872C-30E45139007D",
        "nope",
    ],
}


def patterns_with_arguments() -> list[tuple[str, list[str]]]:
    found = []
    for pattern in urlpatterns:
        route = str(pattern.pattern)
        kinds = [part.split(":", 1)[0] for part in route.split("<")[1:]]
        if kinds and pattern.name:
            found.append((pattern.name, kinds))
    return found


def outcome(function: object, name: str, args: list[object]) -> str:
    try:
        return function(name, *args) if function is url_for else reverse(name, args=args)  # type: ignore[operator]
    except NoReverseMatch:
        return "NoReverseMatch"


@pytest.mark.parametrize("prefix", ["/", "/cdpadmin/"])
@pytest.mark.parametrize(("name", "kinds"), patterns_with_arguments())
def test_url_for_matches_reverse(name: str, kinds: list[str], prefix: str) -> None:
    set_script_prefix(prefix)
    try:
        for position in range(len(kinds)):
            for value in VALUES[kinds[position]]:
                args: list[object] = [VALUES[kind][0] for kind in kinds]
                args[position] = value
                assert outcome(url_for, name, args) == outcome(reverse, name, args), args
    finally:
        set_script_prefix("/")


def test_the_app_has_urls_with_each_kind_of_argument() -> None:
    kinds = {kind for _, found in patterns_with_arguments() for kind in found}
    assert kinds == set(VALUES)
