"""Concurrent daily scans on real PostgreSQL tell each due contact once. The control drops the notices'
unique key and shows the race: without it, overlapping scans each insert the same notices and each sends
its own message, so the guarded test would fail if the key did nothing. The control holds the window
(between the insert and the commit) open until every scan is in it (tests/race.py): a pause lost the race
under load.

Run with DATABASE_URL=postgres://... (skipped on SQLite, which serialises writers anyway).
"""

import datetime
import threading

import pytest
from django.db import connection, connections

from elders.models import NoticeKind, OutreachNotice
from elders.services import outreach
from portal.accounts.models import Role
from portal.notify import services as notify_services
from portal.notify.models import Message
from tests.accounts.factories import UserFactory
from tests.race import hold_the_pause_open

from ._f_outreach import DAY, community, elder_in, plan_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6
PAUSE = 0.3  # seconds between the insert of the notices and the commit: every scan overlaps the others


@pytest.fixture
def roster(elders_data, monkeypatch):
    """12 plans due (4 volunteers), 3 of them overdue past the grace period, 2 not reached twice."""
    monkeypatch.setattr(outreach, "RACE_PAUSE_SECONDS", PAUSE)
    monkeypatch.setattr(notify_services, "_queue_send", lambda ids, urgent=False: None)  # no broker here
    c = community()
    volunteers = [UserFactory(role=Role.VOLUNTEER) for _ in range(4)]
    for i in range(12):
        grid = c.one if i % 2 else c.two
        due = DAY - datetime.timedelta(days=10 if i < 3 else 0)
        plan = plan_for(elder_in(grid), assigned_to=volunteers[i % 4], due_on=due)
        if i in (5, 6):
            plan.unreached_in_row = 2
            plan.save()
    # groups (recipient, kind): 4 volunteers (due) + leaders: overdue (2 grids: i=0,2 → two, i=1 → one)
    # and unreached (i=5 → one, i=6 → two)
    return c


def _race(fn, n=THREADS):
    barrier = threading.Barrier(n)
    outcomes, guard = [], threading.Lock()

    def worker():
        try:
            barrier.wait()
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - reported in the assertion
                result = f"error: {type(exc).__name__}: {exc}"
            with guard:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def _scan():
    return outreach.outreach_scan(today=DAY)


def test_concurrent_scans_tell_each_due_contact_once(roster):
    outcomes = _race(_scan)
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert sum(o["due"] for o in outcomes) == 12
    assert sum(o["overdue"] for o in outcomes) == 3
    assert sum(o["unreached"] for o in outcomes) == 2
    assert OutreachNotice.objects.count() == 17
    assert OutreachNotice.objects.filter(kind=NoticeKind.DUE).values("plan").distinct().count() == 12
    messages = Message.objects.filter(key__startswith="elders.outreach.", channel="inbox")
    assert messages.count() == 4 + 2 + 2  # one per (recipient, kind)
    assert messages.values("user", "template").distinct().count() == messages.count()
    assert _scan() == {"due": 0, "overdue": 0, "unreached": 0, "messages": 0}


def test_control_without_the_unique_key_concurrent_scans_tell_twice(roster, monkeypatch):
    hold_the_pause_open(monkeypatch, outreach, n=THREADS)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE elders_outreachnotice DROP CONSTRAINT outreach_notice_once")
    try:
        outcomes = _race(_scan)
        assert all(isinstance(o, dict) for o in outcomes), outcomes
        assert OutreachNotice.objects.count() > 17, (
            "without the unique key overlapping scans should insert the same notices twice; "
            "the guarded test proves nothing otherwise"
        )
        assert Message.objects.filter(key__startswith="elders.outreach.", channel="inbox").count() > 8
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM elders_outreachnotice")
            cursor.execute(
                "ALTER TABLE elders_outreachnotice ADD CONSTRAINT outreach_notice_once UNIQUE (plan_id, due_on, kind)"
            )
