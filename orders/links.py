"""The app's URLs whose arguments are CDP refs, extension keys and row ids, reversed fast.

Django's `reverse()` tries each candidate pattern with a regular expression on every call,
about a tenth of a millisecond; the order page needs dozens of such URLs (each item's edit and
delete links, each data-extension row's four). Here a URL name is reversed once per script
prefix and kind of arguments, with sample arguments, and the real ones are put in their
place. An argument is put in only when it has the exact form its converter accepts and
`reverse()` would leave unquoted (a canonical UUID, lower-cased as `CdpRefConverter` does; a
key of `ExtKeyConverter`'s pattern; a whole number); anything else goes through `reverse()`,
which gives the same URL or raises the same `NoReverseMatch`.
"""

from __future__ import annotations

import functools

from django.urls import NoReverseMatch, get_script_prefix, reverse

from orders.cdp.vocabulary import EXTENSION_KEY_RE, REF_RE

# Samples of each kind of argument, distinct from each other and from any literal part of a
# path, and accepted by the converters of their kind.
_SAMPLES = {
    # Upper case, to see whether the converter lower-cases a ref (`CdpRefConverter` does).
    "ref": ("98765432-1098-7654-3210-9876543210A1", "98765432-1098-7654-3210-9876543210A2"),
    "key": ("qzx987654321sample", "qzx987654322sample"),
    "int": ("987654321001", "987654321002"),
}


def _kind(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return "int" if value >= 0 else None
    if isinstance(value, str):
        if REF_RE.fullmatch(value):
            return "ref"
        if EXTENSION_KEY_RE.fullmatch(value):
            return "key"
    return None


@functools.lru_cache(maxsize=512)
def _url_parts(
    name: str, kinds: tuple[str, ...], prefix: str
) -> tuple[tuple[str, ...], tuple[bool, ...]] | None:
    """The URL of `name` for arguments of `kinds`, split around them, and for each argument
    whether its converter lower-cases it (`prefix` keys the cache); None when the URL does
    not carry the arguments as given."""
    used = dict.fromkeys(_SAMPLES, 0)
    samples = []
    for kind in kinds:
        samples.append(_SAMPLES[kind][used[kind]])
        used[kind] += 1
    parts, lowered = [], []
    try:
        rest = reverse(name, args=samples)
    except NoReverseMatch:  # a converter that takes other forms (Django's `uuid`: lower case)
        return None
    for sample in samples:
        for text in (sample, sample.lower()):
            head, found, after = rest.partition(text)
            if found:
                break
        else:
            return None
        parts.append(head)
        lowered.append(text != sample)
        rest = after
    parts.append(rest)
    return tuple(parts), tuple(lowered)


def url_for(name: str, *args: object) -> str:
    """`reverse(name, args=args)`, without the pattern matching when the arguments allow."""
    kinds = tuple(_kind(arg) for arg in args)
    if None in kinds or max(kinds.count(kind) for kind in _SAMPLES) > 2:
        return reverse(name, args=args)
    found = _url_parts(name, kinds, get_script_prefix())
    if found is None:
        return reverse(name, args=args)
    parts, lowered = found
    texts = [
        str(arg).lower() if lower else str(arg) for arg, lower in zip(args, lowered, strict=True)
    ]
    return "".join(part + text for part, text in zip(parts, [*texts, ""], strict=True))
