"""A service's audit context inside the request's own (``portal.audit.set_actor``): nothing is left
connected when the request ends, and the entries keep the request's client address.

With django-auditlog's own ``set_actor`` nested in its middleware's context, every such request left one
``pre_save`` receiver connected for good: found by the booking-burst profile (issue 13), where a worker's
2,000th booking called 2,000 receivers for its one audit entry."""

import pytest
from auditlog.context import set_extra_data
from auditlog.models import LogEntry
from django.db.models.signals import pre_save
from django.urls import reverse

from events.models import Booking
from portal.audit import set_actor

from .factories import ActivityFactory, SessionFactory

pytestmark = pytest.mark.django_db


def log_entry_receivers() -> int:
    return len(pre_save._live_receivers(LogEntry)[0])


def test_booking_requests_leave_no_audit_receiver_behind(client, world):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=10)
    client.force_login(world.mum_user)
    url = reverse("events:detail", args=[activity.pk])
    client.post(url, {"persons": [world.son.pk], "session": session.pk})  # warm: templates, content types
    before = log_entry_receivers()
    for person in (world.daughter, world.granny, world.mum):
        assert client.post(url, {"persons": [person.pk], "session": session.pk}).status_code == 302
    assert log_entry_receivers() == before
    booking = Booking.objects.filter(booked_by=world.mum_user).latest("pk")
    entry = LogEntry.objects.get_for_object(booking).get()
    assert entry.actor == world.mum_user
    assert entry.remote_addr == "127.0.0.1"  # the request's, kept by the service's own context


def test_a_nested_context_restores_the_outer_one(world):
    before = log_entry_receivers()
    with set_extra_data(context_data={"actor": world.staff, "remote_addr": "10.0.0.8", "remote_port": None}):
        with set_actor(world.mum_user):
            pass
        with set_actor(world.dad_user):
            pass
    assert log_entry_receivers() == before


def test_a_bookings_audit_entry_never_holds_its_ticket_token(client, world):
    """The ticket token opens the ticket page and passes the door's scanner: the audit log records that
    the booking was made (who, for which activity and session), never the token."""
    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=10)
    client.force_login(world.mum_user)
    url = reverse("events:detail", args=[activity.pk])
    assert client.post(url, {"persons": [world.son.pk], "session": session.pk}).status_code == 302
    booking = Booking.objects.get(booked_by=world.mum_user)
    entry = LogEntry.objects.get_for_object(booking).get()
    assert entry.action == LogEntry.Action.CREATE
    assert "booked_by" in entry.changes_dict and "session" in entry.changes_dict
    assert "token" not in entry.changes_dict
    assert booking.token not in str(entry.changes) + entry.changes_text


def test_audit_entries_written_before_lose_the_token(world):
    """The migration takes the token out of the entries written while it was still recorded, and leaves
    the rest of each entry (and other models' entries) as they were."""
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=10)
    booking = Booking.objects.create(activity=activity, session=session, booked_by=world.mum_user)

    def entry(obj, action, changes):
        return LogEntry.objects.create(
            content_type=ContentType.objects.get_for_model(obj),
            object_pk=str(obj.pk),
            object_id=obj.pk,
            object_repr=str(obj),
            action=action,
            changes=changes,
        )

    old = entry(
        booking,
        LogEntry.Action.CREATE,
        {"token": ["None", booking.token], "session": ["None", str(session.pk)]},
    )
    other = entry(session, LogEntry.Action.UPDATE, {"token": ["a", "b"]})  # not a booking's: left alone
    migration = importlib.import_module("events.migrations.0016_booking_audit_without_token")
    migration.drop_tokens(apps, None)
    old.refresh_from_db()
    other.refresh_from_db()
    assert old.changes == {"session": ["None", str(session.pk)]}
    assert other.changes == {"token": ["a", "b"]}
