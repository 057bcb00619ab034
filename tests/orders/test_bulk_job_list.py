"""The bulk job list, the preview's "include all?" choice, and results in words."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.test import Client

from orders.charts import daily_chart, job_bar
from orders.models import BulkJob
from orders.sandbox.server import SandboxServer
from orders.services.bulk import bulk_job_run, bulk_jobs_recent
from orders.services.bulk_preview import bulk_plan_load, bulk_plan_sign, bulk_preview
from orders.templatetags.bulk import ext_word, row_changes
from tests.factories import seed_order
from tests.orders.test_bulk_jobs import new_job, seed_orders

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_values_read_as_words_not_python_reprs() -> None:
    assert [ext_word(v) for v in (None, "", "spring26", True, 2, 2.0, {"a": [1]})] == [
        "(none)",
        "(empty)",
        "spring26",
        "true",
        "2",
        "2.0",
        '{"a": [1]}',
    ]
    row = SimpleNamespace(
        before={"old": True, "wave": 2}, after={"campaign": "spring26", "wave": 2}
    )
    assert row_changes(row) == [
        "campaign: (none) → spring26",
        "wave = 2 already",
        "old: true → (removed)",
    ]


def test_the_job_list_counts_each_outcome_in_one_query(
    sandbox: SandboxServer, marketing_user: User, django_assert_num_queries: object
) -> None:
    refs = seed_orders(sandbox, 3, "LIST")
    sandbox.state.put_order_extension(refs[0], {"campaign": "spring", "wave": 2})
    job = new_job(marketing_user, refs)
    job.orders.create(position=3, input_value="NOPE", state="not_found")
    bulk_job_run(job_id=str(job.id))
    new_job(marketing_user, refs[:1])

    with django_assert_num_queries(1):  # type: ignore[operator]
        rows = bulk_jobs_recent(limit=10)

    assert [row["job"].id for row in rows][1] == job.id
    counts = rows[1]["counts"]
    assert (counts["done"], counts["skipped"], counts["failed"], counts["not_found"]) == (
        2,
        1,
        0,
        1,
    )
    assert rows[0]["counts"]["remaining"] == 1


def test_job_pages_are_readable_by_auditors_but_not_runnable(
    sandbox: SandboxServer,
    marketing_user: User,
    auditor_client: Client,
    cs_client: Client,
    marketing_client: Client,
) -> None:
    job = new_job(marketing_user, seed_orders(sandbox, 1, "PERM"))

    listing = auditor_client.get("/bulk/jobs/").content.decode()
    assert f"/bulk/{job.id}/" in listing and "morgan" in listing
    assert auditor_client.get(f"/bulk/{job.id}/").status_code == 200
    assert auditor_client.post(f"/bulk/{job.id}/retry/").status_code == 403
    assert cs_client.get("/bulk/jobs/").status_code == 403
    assert "New bulk job" in marketing_client.get("/bulk/jobs/").content.decode()


def test_inputs_matching_several_orders_are_left_out_unless_included(
    sandbox: SandboxServer,
) -> None:
    (single,) = seed_orders(sandbox, 1, "ONE")
    twins = [
        seed_order(sandbox, referenceId="TWIN", orderedAt=f"2026-0{n}-01T10:00:00Z")["ref"]
        for n in (1, 2, 3)
    ]
    pairs = {"campaign": "spring26"}
    preview = bulk_preview(inputs=[single, "TWIN"], set_pairs=pairs, remove_keys=[])

    assert [item.input_value for item in preview.ambiguous] == ["TWIN"]
    assert preview.counts["orders_unambiguous"] == 1
    [group] = preview.change_groups
    assert group.count == 4 and [(c.key, c.before, c.after) for c in group.changes] == [
        ("campaign", None, "spring26")
    ]
    plan = bulk_plan_load(bulk_plan_sign(preview=preview, set_pairs=pairs, remove_keys=[]))
    assert plan.targets_to_run(include_ambiguous=False) == [(single, single)]
    assert [ref for _, ref in plan.targets_to_run(include_ambiguous=True)] == [single, *twins]


def test_the_run_form_leaves_ambiguous_inputs_out_when_unticked(
    sandbox: SandboxServer, marketing_client: Client
) -> None:
    (single,) = seed_orders(sandbox, 1, "RUN")
    for n in (1, 2):
        seed_order(sandbox, referenceId="TWIN", orderedAt=f"2026-0{n}-01T10:00:00Z")
    form = {
        "inputs": f"{single}\nTWIN",
        "set-TOTAL_FORMS": "1",
        "set-INITIAL_FORMS": "0",
        "set-0-key": "campaign",
        "set-0-type": "string",
        "set-0-value": "x",
    }
    text = marketing_client.post("/bulk/", form).content.decode()
    assert "TWIN</code> matches 2 orders" in text and 'data-without="1"' in text
    token = text.split('name="plan" value="', 1)[1].split('"', 1)[0]

    marketing_client.post("/bulk/run/", {"plan": token})

    assert list(BulkJob.objects.get().orders.values_list("order_ref", flat=True)) == [single]


def test_the_pictures_scale_to_the_data() -> None:
    bar = job_bar({"done": 3, "skipped": 1, "failed": 0, "not_found": 0, "remaining": 0})
    assert [(r.key, r.width) for r in bar.rects] == [("done", 450.0), ("skipped", 150.0)]
    day = dt.date(2026, 12, 1)
    chart = daily_chart({day: {"success": 4, "failure": 2}, day - dt.timedelta(1): {}})
    busy = chart.columns[1]
    assert chart.peak == 6 and busy.total == 6
    assert sum(r.height for r in busy.rects) == chart.plot_bottom - chart.plot_top
    assert [r.key for r in busy.rects] == ["success", "failure"]
    assert chart.columns[0].rects == ()
