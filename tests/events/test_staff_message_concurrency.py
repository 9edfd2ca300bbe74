"""Two tabs at once on real PostgreSQL: the same text sent to the same session from several forms (each
with its own one-time key) at the same moment goes out once; the others are asked whether to send it
again. The control run with the lock turned off shows the race sending it several times (its window held
open until every tab is in it, tests/race.py: a pause lost the race under load).

Run with DATABASE_URL=postgres://... (skipped on SQLite, which serialises writers anyway).
"""

import pytest

from events.models import Session, StaffMessage
from events.services import _pool, booking_create
from events.services.reminders import session_message_send
from portal.notify.models import Message
from tests.race import hold_the_engine_window_open

from .test_concurrency import race  # noqa: F401 - the fixture

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TABS = 10


def _send_from_every_tab(race, world, fcfs, *, hold_open=None):  # noqa: F811
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    if hold_open is not None:  # after the booking, which passes the engine's window too
        hold_the_engine_window_open(hold_open, n=TABS)
    outcomes = race(
        lambda i: session_message_send(
            actor=world.staff,
            session=Session.objects.get(pk=fcfs.session.pk),
            text="明早九点集合",
            request_key=f"{world.staff.pk}:tab-{i}",
        ),
        n=TABS,
    )
    return outcomes


def test_the_same_text_from_several_tabs_at_once_is_sent_once(race, world, fcfs):  # noqa: F811
    outcomes = _send_from_every_tab(race, world, fcfs)
    assert sorted(outcomes) == ["ok"] + ["refused"] * (TABS - 1), outcomes
    assert StaffMessage.objects.count() == 1
    assert (
        Message.objects.filter(template__code="staff.notice", user=world.mum_user, channel="inbox").count()
        == 1
    )


def test_control_without_the_lock_several_tabs_send_it(race, world, fcfs, monkeypatch):  # noqa: F811
    monkeypatch.setattr(_pool, "LOCKING", False)
    _send_from_every_tab(race, world, fcfs, hold_open=monkeypatch)
    assert StaffMessage.objects.count() > 1, (
        "without the lock the race should send it more than once; the guarded test proves nothing otherwise"
    )
