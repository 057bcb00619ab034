"""How values read on every page: one date format, money, order statuses.

Plain functions (no templates, no request), so views, templates (through
`orders.templatetags.display`), the CSV export and tests share one wording.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

# Words for the statuses CDP documents (reference §9: note CDP's one-L "PARTIALY_"), and
# the two-L spelling in case CDP ever fixes it; anything else is shown as-is.
STATUS_WORDS = {
    "BROWSED": "Browsed",
    "SEARCHED": "Searched",
    "RESERVED": "Reserved",
    "PAYMENT_PENDING": "Payment pending",
    "PENDING": "Pending",
    "DECLINED": "Declined",
    "PURCHASED": "Purchased",
    "CONFIRMED": "Confirmed",
    "PARTIALY_CONFIRMED": "Partially confirmed",
    "PARTIALLY_CONFIRMED": "Partially confirmed",
    "CANCELLED": "Cancelled",
    "REFUNDED": "Refunded",
    "PARTIALY_REFUNDED": "Partially refunded",
    "PARTIALLY_REFUNDED": "Partially refunded",
    "UNKNOWN": "Unknown",
}
STATUS_TONES = {
    "Purchased": "ok",
    "Confirmed": "ok",
    "Partially confirmed": "wait",
    "Reserved": "wait",
    "Payment pending": "wait",
    "Pending": "wait",
    "Partially refunded": "warn",
    "Refunded": "warn",
    "Cancelled": "bad",
    "Declined": "bad",
}


def status_label(value: Any) -> str:
    """ "Partially refunded" for PARTIALLY_REFUNDED; unknown values as they are; "—" for none."""
    if value is None or value == "":
        return "—"
    text = str(value)
    return STATUS_WORDS.get(text.strip().upper(), text)


def status_tone(value: Any) -> str:
    """A colour family for the badge: ok, wait, warn, bad or other."""
    return STATUS_TONES.get(status_label(value), "other")


def as_decimal(amount: Any) -> Decimal | None:
    if isinstance(amount, bool) or amount is None:
        return None
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def money(amount: Any, currency: Any = "") -> str:
    """ "1,024.99 EUR": two decimals and the currency; an odd amount is shown as it came."""
    value = as_decimal(amount)
    code = str(currency or "").strip()
    if value is None:
        text = "—" if amount is None or amount == "" else str(amount)
    else:
        text = f"{value.quantize(Decimal('0.01')):,.2f}"
    return f"{text} {code}".strip()


# --- Dates -------------------------------------------------------------------------------

DAY_FORMAT = "%-d %b %Y"  # 1 Dec 2026
DATE_FORMAT = f"{DAY_FORMAT}, %H:%M"  # 1 Dec 2026, 07:14 (24-hour, no full stops)
FULL_FORMAT = "%A %-d %B %Y, %H:%M:%S %Z"  # Tuesday 1 December 2026, 07:14:05 CET
RELATIVE_UP_TO = dt.timedelta(days=30)


@dataclass(frozen=True)
class Moment:
    """A point in time as pages show it, in the browser's time zone (see BrowserTimezone)."""

    iso: str  # for <time datetime>
    absolute: str  # "1 Dec 2026, 07:14"
    full: str  # the hover text: weekday, seconds and time zone
    relative: str  # "2 days ago"; empty when further away than RELATIVE_UP_TO

    @property
    def short(self) -> str:
        """The relative wording where it helps, else the absolute date."""
        return self.relative or self.absolute


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def relative(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """ "just now", "5 minutes ago", "yesterday", "in 3 days"; "" beyond 30 days."""
    now = now or timezone.now()
    delta = now - value
    future = delta < dt.timedelta(0)
    delta = abs(delta)
    if delta > RELATIVE_UP_TO:
        return ""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        words = _plural(seconds // 60, "minute")
    elif seconds < 86400:
        words = _plural(seconds // 3600, "hour")
    else:
        days = seconds // 86400
        if days == 1:
            return "tomorrow" if future else "yesterday"
        words = _plural(days, "day")
    return f"in {words}" if future else f"{words} ago"


def moment(value: Any, now: dt.datetime | None = None) -> Moment | None:
    """The `Moment` of a datetime (naive ones are taken as UTC); None for anything else."""
    if not isinstance(value, dt.datetime):
        return None
    value = aware(value)
    iso, absolute, full = _fixed_texts(value, value.utcoffset(), timezone.get_current_timezone())
    return Moment(iso=iso, absolute=absolute, full=full, relative=relative(value, now))


def aware(value: dt.datetime) -> dt.datetime:
    """`value`, a naive one taken as UTC."""
    return value if value.utcoffset() is not None else value.replace(tzinfo=dt.UTC)


@functools.lru_cache(maxsize=4_096)
def _fixed_texts(
    value: dt.datetime, offset: dt.timedelta | None, zone: dt.tzinfo
) -> tuple[str, str, str]:
    """What of a moment does not change as time passes: every audit row and timeline line
    shows one, and an instant's words in a zone are the same on every page. `offset` is in
    the key because equal instants are equal datetimes whatever their offsets.
    """
    # `timezone.localtime` but without checking again for naivety.
    local = value.astimezone(zone)
    return value.isoformat(), local.strftime(DATE_FORMAT), local.strftime(FULL_FORMAT).strip()


def day_text(value: dt.date) -> str:
    return value.strftime(DAY_FORMAT)
