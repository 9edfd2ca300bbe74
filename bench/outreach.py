"""The daily visit-and-call scan (关爱走访) over 50,000 elders and 1,000,000 contact logs: how long it takes,
what it costs in queries (the same at 5,000 elders), and that a second run tells nobody again.

    DATABASE_URL=postgres://... python bench/outreach.py   # scratch database test_<name> on that server
    BENCH_ELDERS=20000 BENCH_LOGS=200000 python bench/outreach.py

It builds four grids (each with a leader and a grid worker), 1,000 volunteers, and BENCH_ELDERS elders (one
household each, spread over 40 buildings of the four grids), each with an elder profile and a contact plan
assigned to a volunteer: due dates spread from 30 days ago to 60 days ahead, one plan in twenty not reached
twice in a row. BENCH_LOGS contact logs (``INSERT ... SELECT generate_series`` on PostgreSQL) sit in the
table as a year of history would. Then:

* the scan at 5,000 elders (first run), for its query count;
* the scan at BENCH_ELDERS elders, first run (every due, overdue and not-reached notice of the day created,
  one message per volunteer and per grid leader) and a second run (nothing new: 0 notices, 0 messages).

Sending the outbox rows is the notify worker's job, not the scan's: the send tasks are collected, not run.
``seconds`` is the whole scan: ``notices_seconds`` the set-based part (the insert of the day's notices and
the read of the elders' names), ``outbox_enqueue_seconds`` the platform's ``message_enqueue_many`` rendering
and writing one message per recipient and kind (about 1,000 volunteers here), which grows with the number
of people told, not with the number of elders. The floor, measured in the same run: the scan's own SELECT of the candidate plans (without writing),
``ratio`` = first-run seconds / floor. The last line of output is one JSON object.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ELDERS = int(os.environ.get("BENCH_ELDERS", "50000"))
LOGS = int(os.environ.get("BENCH_LOGS", "1000000"))
SMALL = min(5000, ELDERS)
VOLUNTEERS = 1000
GRIDS = 4
BUILDINGS_PER_GRID = 10

import _scratch  # noqa: E402  (Django on a scratch database)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402


class QueryCounter:
    """Counts every query on the connection (no log, so no cap on the number)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def build_community():
    from portal.accounts.models import Role, User
    from portal.community.models import Building, Estate, Grid

    leaders = [
        User.objects.create_user(f"+861380000{i:04d}", None, name=f"网格长{i}", role=Role.RESIDENT)
        for i in range(GRIDS)
    ]
    grids = [Grid.objects.create(name=f"第{i + 1}网格", leader=leaders[i]) for i in range(GRIDS)]
    for i, grid in enumerate(grids):
        User.objects.create_user(
            f"+861381000{i:04d}", None, name=f"网格员{i}", role=Role.GRID_WORKER, grid=grid
        )
    estate = Estate.objects.create(name="永兴花苑")
    buildings = Building.objects.bulk_create(
        [
            Building(estate=estate, number=str(g * BUILDINGS_PER_GRID + b + 1), grid=grids[g])
            for g in range(GRIDS)
            for b in range(BUILDINGS_PER_GRID)
        ]
    )
    User.objects.bulk_create(
        [
            User(phone=f"+86137{i:08d}", name=f"志愿者{i}", role=Role.VOLUNTEER, password="!")
            for i in range(VOLUNTEERS)
        ],
        batch_size=1000,
    )
    volunteers = list(User.objects.filter(role=Role.VOLUNTEER).order_by("pk").values_list("pk", flat=True))
    return buildings, volunteers


def build_elders(start: int, stop: int, buildings, volunteers, today: datetime.date) -> None:
    """Elders start..stop-1, each in a household of her own, with a profile and a contact plan."""
    from elders.models import ContactPlan, ElderProfile, LivingSituation
    from portal.community.models import Household, Person

    batch = 5000
    for lo in range(start, stop, batch):
        hi = min(stop, lo + batch)
        households = Household.objects.bulk_create(
            [
                Household(building=buildings[i % len(buildings)], unit="1", room=str(1000 + i))
                for i in range(lo, hi)
            ]
        )
        people = Person.objects.bulk_create(
            [
                Person(
                    name=f"老人{i:05d}",
                    name_pinyin=f"laoren{i}",
                    name_initials="lr",
                    gender="F" if i % 2 else "M",
                    birth_date=datetime.date(1930 + i % 30, 1 + i % 12, 1 + i % 28),
                    household=h,
                )
                for i, h in zip(range(lo, hi), households, strict=True)
            ]
        )
        ElderProfile.objects.bulk_create(
            [
                ElderProfile(
                    person=p,
                    living_situation=LivingSituation.ALONE if i % 3 == 0 else LivingSituation.FAMILY,
                    risk_level="high" if i % 3 == 0 else ("medium" if i % 3 == 1 else "low"),
                )
                for i, p in zip(range(lo, hi), people, strict=True)
            ]
        )
        ContactPlan.objects.bulk_create(
            [
                ContactPlan(
                    elder=p,
                    every_days=(7, 30, 90)[i % 3],
                    assigned_to_id=volunteers[i % len(volunteers)],
                    starts_on=today - datetime.timedelta(days=365),
                    due_on=today + datetime.timedelta(days=(i * 7919) % 91 - 30),
                    unreached_in_row=2 if i % 20 == 0 else 0,
                )
                for i, p in zip(range(lo, hi), people, strict=True)
            ]
        )


def build_logs(n: int, volunteers) -> None:
    """``n`` contact logs over the last year, spread over every elder's plan (one statement on PostgreSQL)."""
    from elders.models import ContactLog, ContactPlan

    log, plan = ContactLog._meta.db_table, ContactPlan._meta.db_table
    if connection.vendor != "postgresql":
        plans = list(ContactPlan.objects.values_list("pk", "elder_id", "assigned_to_id"))
        now = timezone.now()
        ContactLog.objects.bulk_create(
            [
                ContactLog(
                    elder_id=plans[i % len(plans)][1],
                    plan_id=plans[i % len(plans)][0],
                    method="visit" if i % 2 else "call",
                    reached=i % 7 != 0,
                    wellbeing="good" if i % 7 else "",
                    contacted_at=now - datetime.timedelta(minutes=i * 31 % 525600),
                    by_id=plans[i % len(plans)][2],
                )
                for i in range(n)
            ],
            batch_size=5000,
        )
        return
    plans = ContactPlan.objects.count()
    with connection.cursor() as cursor:
        # one row per plan numbered 0..plans-1, joined on g % plans (an expression of g alone: a hash join)
        cursor.execute(
            f"""
            WITH p AS (SELECT id, elder_id, assigned_to_id, (row_number() OVER (ORDER BY id) - 1)::int AS k
                       FROM {plan})
            INSERT INTO {log} (elder_id, plan_id, method, reached, wellbeing, notes, contacted_at, by_id,
                               entered_on_behalf, created_at)
            SELECT p.elder_id, p.id, CASE WHEN g %% 2 = 0 THEN 'visit' ELSE 'call' END, g %% 7 <> 0,
                   CASE WHEN g %% 7 <> 0 THEN 'good' ELSE '' END, '', now() - (g %% 525600) * interval '1 minute',
                   p.assigned_to_id, false, now()
            FROM generate_series(0, %s - 1) AS g JOIN p ON p.k = (g %% %s)::int
            """,
            [n, plans],
        )
        cursor.execute(f"ANALYZE {log}")
        cursor.execute(f"ANALYZE {plan}")


def floor_seconds(today: datetime.date) -> float:
    """The candidate plans alone (the scan's SELECT, nothing written): the least a scan could cost."""
    from elders.services.outreach import GRACE_DAYS, UNREACHED_ESCALATE, _scan_sql

    sql = _scan_sql()
    select = sql[sql.index("SELECT c.plan_id") : sql.index("ON CONFLICT")]
    params = {
        "yes": True,
        "now": timezone.now(),
        "today": today,
        "overdue_before": today - datetime.timedelta(days=GRACE_DAYS),
        "times": UNREACHED_ESCALATE,
        "due": "due",
        "overdue": "overdue",
        "unreached": "unreached",
    }
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({select}) AS x", params)
        cursor.fetchone()
    return time.perf_counter() - start


OUTBOX_SECONDS: list[float] = []


def _timed_enqueue():
    """Time the platform's ``message_enqueue_many`` inside the scan (rendering and writing the messages)."""
    import elders.services.outreach as outreach

    original = outreach.message_enqueue_many

    def timed(**kwargs):
        start = time.perf_counter()
        try:
            return original(**kwargs)
        finally:
            OUTBOX_SECONDS.append(time.perf_counter() - start)

    outreach.message_enqueue_many = timed


def scan(today):
    from elders.services.outreach import outreach_scan

    OUTBOX_SECONDS.clear()
    with QueryCounter() as ctx:
        start = time.perf_counter()
        result = outreach_scan(today=today)
        seconds = time.perf_counter() - start
    result["outbox_seconds"] = sum(OUTBOX_SECONDS)
    return result, seconds, ctx.count


def main() -> dict:
    import portal.notify.services as notify_services
    from elders.models import ContactLog, OutreachNotice
    from portal.notify.models import Message

    settings.DEBUG = False
    queued: list[int] = []
    notify_services._queue_send = lambda ids, urgent=False: queued.extend(
        ids
    )  # the worker's job, not measured

    _timed_enqueue()
    original = _scratch.scratch_database()
    try:
        from tests.elders.conftest import ensure_elders_data

        ensure_elders_data()
        today = timezone.localdate()
        buildings, volunteers = build_community()
        build_elders(0, SMALL, buildings, volunteers, today)
        small, small_seconds, small_queries = scan(today)
        OutreachNotice.objects.all().delete()
        Message.objects.filter(key__startswith="elders.outreach.").delete()

        build_elders(SMALL, ELDERS, buildings, volunteers, today)
        build_logs(LOGS, volunteers)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        floor = floor_seconds(today)
        first, seconds, queries = scan(today)
        messages = Message.objects.filter(key__startswith="elders.outreach.", channel="inbox").count()
        rows = Message.objects.filter(key__startswith="elders.outreach.").count()
        notices = OutreachNotice.objects.count()
        again, seconds_again, queries_again = scan(today)
        # An ordinary day: the next morning's scan tells only what became due or crossed the grace period
        # overnight (the first run above is the day the roster is switched on, with every backlog at once).
        tomorrow = today + datetime.timedelta(days=1)
        nxt, seconds_next, queries_next = scan(tomorrow)
        return {
            "database": connection.vendor,
            "elders": ELDERS,
            "contact_logs": ContactLog.objects.count(),
            "seconds": round(seconds, 4),
            "notices_seconds": round(seconds - first["outbox_seconds"], 4),
            "outbox_enqueue_seconds": round(first["outbox_seconds"], 4),
            "queries": queries,
            "notices_due": first["due"],
            "notices_overdue": first["overdue"],
            "notices_unreached": first["unreached"],
            "messages": messages,
            "outbox_rows": rows,
            "sends_queued": len(queued),
            "notices_total": notices,
            "small_elders": SMALL,
            "small_seconds": round(small_seconds, 4),
            "small_queries": small_queries,
            "small_notices": small["due"] + small["overdue"] + small["unreached"],
            "second_run_seconds": round(seconds_again, 4),
            "second_run_queries": queries_again,
            "second_run_new_notices": again["due"] + again["overdue"] + again["unreached"],
            "second_run_messages": again["messages"],
            "next_day_seconds": round(seconds_next, 4),
            "next_day_queries": queries_next,
            "next_day_new_notices": nxt["due"] + nxt["overdue"] + nxt["unreached"],
            "next_day_messages": nxt["messages"],
            "floor_seconds": round(floor, 4),
            "ratio": round(seconds / floor, 2) if floor else None,
        }
    finally:
        _scratch.drop_scratch_database(original)


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
