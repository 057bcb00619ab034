"""The two pictures: changes per day on the audit page, and a bulk job's outcome bar.

Drawn on the server as SVG (the CSP allows no inline script): this module computes the
numbers and the geometry; templates under `orders/includes/` draw them, and colours come
from classes in `static/css/cdpadmin.css`. Each picture also has its numbers as text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import CharField, Count, Exists, OuterRef, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from orders.models import AuditEntry

# (key, label) in stacking order, bottom first.
AUDIT_OUTCOMES = (
    ("success", "CDP accepted"),
    ("failure", "Refused or no answer"),
    ("unknown", "Outcome unknown"),
    ("observed", "Changed outside cdpadmin"),
)
JOB_STATES = (
    ("done", "Done"),
    ("skipped", "Skipped"),
    ("failed", "Failed"),
    ("not_found", "Not found"),
    ("unresolved", "Unresolved"),
    ("remaining", "Remaining"),
)


@dataclass(frozen=True)
class Rect:
    key: str
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Column:
    day: dt.date
    total: int
    counts: tuple[tuple[str, str, int], ...]  # (key, label, n) per outcome
    rects: tuple[Rect, ...]
    x: float


@dataclass(frozen=True)
class DailyChart:
    columns: tuple[Column, ...]
    totals: tuple[tuple[str, str, int], ...]
    peak: int
    width: int
    height: int
    plot_top: int
    plot_bottom: int

    @property
    def total(self) -> int:
        return sum(n for _, _, n in self.totals)

    @property
    def ticks(self) -> list[tuple[float, dt.date, str]]:
        """(x, day, text-anchor) of the days written under the axis: first, middle, last."""
        if not self.columns:
            return []
        columns = self.columns
        first, middle, last = columns[0], columns[len(columns) // 2], columns[-1]
        ticks = [(first.x - 4, first.day, "start"), (middle.x, middle.day, "middle")]
        return [*ticks, (last.x + 4, last.day, "end")] if last is not first else ticks[:1]


def audit_daily_outcomes(
    *, days: int = 30, today: dt.date | None = None
) -> dict[dt.date, dict[str, int]]:
    """Changes per local day for the last `days` days, by outcome (three grouped queries).

    A change is counted on the day of its outcome; an intent with no outcome and an
    observed change, on their own day.
    """
    zone = timezone.get_current_timezone()
    today = today or timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    counts: dict[dt.date, dict[str, int]] = {first + dt.timedelta(days=n): {} for n in range(days)}
    recent = AuditEntry.objects.filter(at__gte=since).annotate(day=TruncDate("at", tzinfo=zone))
    groups = (
        recent.filter(phase=AuditEntry.Phase.OUTCOME).values_list("day", "outcome"),
        recent.filter(phase=AuditEntry.Phase.OBSERVED)
        .values_list("day")
        .annotate(key=_const("observed")),
        recent.filter(phase=AuditEntry.Phase.INTENT)
        .filter(~Exists(AuditEntry.objects.filter(intent=OuterRef("pk"))))
        .values_list("day")
        .annotate(key=_const("unknown")),
    )
    for rows in groups:
        for day, key, n in rows.annotate(n=Count("pk")).order_by():
            if day in counts:
                counts[day][key or "unknown"] = counts[day].get(key or "unknown", 0) + n
    return counts


def _const(value: str) -> Value:
    return Value(value, output_field=CharField())


def daily_chart(
    counts: Mapping[dt.date, Mapping[str, int]], *, width: int = 600, height: int = 160
) -> DailyChart:
    """Stacked columns, one per day, scaled to the busiest day."""
    plot_top, plot_bottom, left = 12, height - 22, 30
    days = sorted(counts)
    peak = max((sum(counts[day].values()) for day in days), default=0)
    step = (width - left) / max(len(days), 1)
    scale = (plot_bottom - plot_top) / peak if peak else 0
    columns = []
    for index, day in enumerate(days):
        x, y = left + index * step, float(plot_bottom)
        rects, rows = [], []
        for key, label in AUDIT_OUTCOMES:
            n = counts[day].get(key, 0)
            rows.append((key, label, n))
            if n:
                h = n * scale
                y -= h
                rects.append(Rect(key, label, n, x + 1, y, step - 2, h))
        columns.append(
            Column(day, sum(n for _, _, n in rows), tuple(rows), tuple(rects), x + step / 2)
        )
    totals = tuple(
        (key, label, sum(counts[day].get(key, 0) for day in days)) for key, label in AUDIT_OUTCOMES
    )
    return DailyChart(tuple(columns), totals, peak, width, height, plot_top, plot_bottom)


@dataclass(frozen=True)
class Bar:
    rects: tuple[Rect, ...]
    parts: tuple[tuple[str, str, int], ...]
    total: int
    width: int
    height: int


def job_bar(counts: Mapping[str, int], *, width: int = 600, height: int = 24) -> Bar:
    """One horizontal bar: done, skipped, failed, not found, unresolved, remaining."""
    parts = tuple((key, label, int(counts.get(key, 0))) for key, label in JOB_STATES)
    total = sum(n for _, _, n in parts)
    x, rects = 0.0, []
    for key, label, n in parts:
        if n:
            w = width * n / total
            rects.append(Rect(key, label, n, x, 0, w, height))
            x += w
    return Bar(tuple(rects), parts, total, width, height)
