"""The engine's tasks ride out the database (``portal.tasks.platform_task``): an OperationalError is
retried with a growing backoff and a bound, and the work is done on the later try."""

import datetime

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from events import tasks
from events.models import Offer, Registration
from events.services import waitlist
from events.services.booking import booking_create, registration_cancel
from portal import tasks as platform

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _flaky(monkeypatch, name, *, failures: int | None):
    """``waitlist.<name>`` raises OperationalError ``failures`` times (None: always), then does its work.
    Returns, per call, whether the database connection was closed when the call began."""
    real = getattr(waitlist, name)
    calls: list[bool] = []

    def flaky(*args, **kwargs):
        calls.append(connection.connection is None)
        if failures is None or len(calls) <= failures:
            raise OperationalError("the database system is shutting down")
        return real(*args, **kwargs)

    monkeypatch.setattr(waitlist, name, flaky)
    return calls


@pytest.fixture
def expired_offer(world, fcfs):
    """One seat: mum's son had it and cancelled; dad's boy was offered it, and the offer has run out."""
    fcfs.session.capacity = 1
    fcfs.session.save()
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    booking_create(actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid])
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.mum])
    registration_cancel(actor=world.mum_user, registration=Registration.objects.get(person=world.son))
    Offer.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    return fcfs


def test_expire_offers_retries_a_database_error_and_passes_the_seat_on(
    world, expired_offer, retry_countdowns, monkeypatch
):
    calls = _flaky(monkeypatch, "offers_expire_due", failures=1)

    result = tasks.expire_offers.apply()

    assert result.successful(), result.traceback
    assert result.result == 1
    assert len(retry_countdowns) == 1 and 1 <= retry_countdowns[0] <= 2
    assert calls == [False, True]  # the retry began on a fresh connection
    assert Registration.objects.get(person=world.kid).status == "expired"
    assert Registration.objects.get(person=world.mum).status == "offered"


def test_promote_waitlist_gives_up_after_the_bound_with_growing_countdowns(
    world, fcfs, retry_countdowns, monkeypatch
):
    monkeypatch.setattr(platform, "DB_MAX_RETRIES", 4)
    calls = _flaky(monkeypatch, "waitlist_promote_next", failures=None)

    result = tasks.promote_waitlist.apply(args=[fcfs.activity.pk, fcfs.session.pk])

    assert result.failed()
    assert isinstance(result.result, OperationalError)
    assert len(calls) == 5
    assert len(retry_countdowns) == 4
    assert retry_countdowns == sorted(retry_countdowns)
    assert retry_countdowns[-1] > retry_countdowns[0]


@pytest.mark.parametrize(
    "task_name, service",
    [
        ("send_due_reminders", "events.services.reminders.reminders_scan"),
        ("autoclose_shifts", "events.services.shifts.shifts_autoclose_due"),
    ],
)
def test_the_periodic_scans_retry_a_database_error(task_name, service, retry_countdowns, monkeypatch):
    calls: list[int] = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return 7

    monkeypatch.setattr(service, flaky)

    result = getattr(tasks, task_name).apply()

    assert result.successful(), result.traceback
    assert result.result == 7
    assert len(calls) == 2
    assert len(retry_countdowns) == 1
