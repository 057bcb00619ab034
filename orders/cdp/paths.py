"""Local validation of everything that goes into a CDP URL or an extension body.

Checked before any request is sent, so no input can steer a request to another CDP endpoint
(`../guests/x`, an encoded slash, a query) or send a body CDP would refuse for its shape.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qs, quote, urlsplit

from orders.cdp.errors import CdpInvalidReference
from orders.cdp.parsing import UUID_RE
from orders.cdp.vocabulary import (
    EXTENSION_ENVELOPE_KEYS,
    EXTENSION_KEY_RE,
    MAX_EXTENSION_PAIRS,
    ExtensionValue,
)

API = "/v2.1"
LEGACY_API = "/v2"
EXTENSION_NAME = "ext"


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def check_ref(value: object, what: str = "reference") -> str:
    """A CDP ref (a UUID, either case) in lower case, or `CdpInvalidReference`."""
    if not isinstance(value, str) or not UUID_RE.fullmatch(value):
        raise CdpInvalidReference(
            f"“{_shown(value)}” is not a valid CDP {what}. Check the link or the reference "
            "and try again."
        )
    return value.lower()


def check_extension_name(name: object) -> str:
    """The data-extension name; orders and order items have exactly one, `ext` (§11.1)."""
    if name != EXTENSION_NAME:
        raise CdpInvalidReference(
            f"“{_shown(name)}” is not a data extension of orders or order items; "
            f"the only one is “{EXTENSION_NAME}”."
        )
    return EXTENSION_NAME


def check_extension_key(key: object) -> str:
    """A data-extension key: camelCase alphanumerics, not one of the envelope's own keys."""
    if not isinstance(key, str) or not EXTENSION_KEY_RE.fullmatch(key):
        raise CdpInvalidReference(
            f"“{_shown(key)}” is not a valid data extension key. Use letters and digits only, "
            "starting with a lower-case letter (for example “storeLocation”)."
        )
    if key in EXTENSION_ENVELOPE_KEYS:
        raise CdpInvalidReference(
            f"“{key}” is reserved by CDP for the data extension itself. Choose another key."
        )
    return key


def check_pairs(pairs: Mapping[str, ExtensionValue]) -> dict[str, ExtensionValue]:
    """Extension pairs as a plain dict, each key checked and each value a JSON primitive.

    Raises `CdpInvalidReference` for a bad key and `ValueError` for a value that is not a
    string, boolean, integer or finite float (None, lists and objects are refused) or for more
    than 100 pairs.
    """
    if not isinstance(pairs, Mapping):
        raise ValueError("Data extension pairs must be a mapping of key to value.")
    if len(pairs) > MAX_EXTENSION_PAIRS:
        raise ValueError(
            f"A data extension holds at most {MAX_EXTENSION_PAIRS} pairs; this has {len(pairs)}."
        )
    checked: dict[str, ExtensionValue] = {}
    for key, value in pairs.items():
        check_extension_key(key)
        if type(value) not in (str, bool, int, float):
            raise ValueError(
                f"The value of “{key}” must be text, true/false or a number, "
                f"not {type(value).__name__}."
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"The value of “{key}” must be a finite number.")
        checked[key] = value
    return checked


# A key outside the app's pattern (written by another system) can still be named in the
# `name` query of a field delete, percent-quoted, if it cannot be misread there (§11.4).
MAX_FIELD_NAME_LENGTH = 1000


def field_name_problem(key: object) -> str | None:
    """Why `key` cannot be named in `DELETE …/fields?name=`, or None when it can.

    The reference gives the query as a `|`-separated list, and a `name` with nothing in it
    empties the whole extension, so a key that is empty or holds `|` would delete other
    keys or all of them. Surrounding spaces or control characters might be trimmed or
    dropped on the way, which would name another key; so are refused too.
    """
    if not isinstance(key, str) or not key:
        return "an empty key would empty the whole extension"
    if "|" in key:
        return "CDP reads “|” in the key as a separator between keys"
    if key != key.strip() or any(ord(c) < 32 or ord(c) == 127 for c in key):
        return "spaces at its ends or control characters might be dropped on the way"
    if len(key) > MAX_FIELD_NAME_LENGTH:
        return f"it is longer than {MAX_FIELD_NAME_LENGTH} characters"
    if key in EXTENSION_ENVELOPE_KEYS:
        return "it is the name of one of the extension's own fields"
    return None


def check_field_name(key: object) -> str:
    """A key to name in a field delete; `CdpInvalidReference` when it cannot be (see above)."""
    problem = field_name_problem(key)
    if problem is not None:
        raise CdpInvalidReference(
            f"The key “{_shown(key)}” cannot be deleted through CDP's API: {problem}."
        )
    return key  # type: ignore[return-value]


def check_field_names(keys: Iterable[str], *, empty_all: bool) -> str | None:
    """The `name` query value for deleting extension fields: keys joined with `|`.

    An empty list would empty the whole extension (§11.4), so it is refused with `ValueError`
    unless `empty_all=True`; then None is returned and no `name` parameter is sent.
    """
    if isinstance(keys, str):
        raise ValueError("Pass the keys to delete as a list, not one string.")
    names = list(dict.fromkeys(check_field_name(key) for key in keys))
    if names and empty_all:
        raise ValueError("Pass either keys to delete or empty_all=True, not both.")
    if not names:
        if not empty_all:
            raise ValueError(
                "No keys to delete were given; pass empty_all=True to empty the whole extension."
            )
        return None
    return "|".join(names)


def field_names_of(cdp_path: str) -> list[str]:
    """The keys a recorded `DELETE …/fields?name=a|b` named, read back from its path and query."""
    names = parse_qs(urlsplit(cdp_path).query).get("name", [""])[0]
    return [name for name in names.split("|") if name]


def path(*segments: str, api: str = API) -> str:
    """`/v2.1/<seg>/<seg>…` with every segment percent-quoted, `/` included."""
    return api + "".join("/" + quote(segment, safe="") for segment in segments)
