"""Bookings, registrations, offers, check-ins, stamps and lottery draws are read-only in the admin, for
superusers too: every change goes through the engine's services, so nothing can overbook or skip the
queue. Their pages stay open to read, and the change page says where the change is made instead."""

import pytest
from django.urls import reverse

from events import models as m
from events.services import booking_create, booking_create_on_behalf, registration_cancel

from .factories import ActivityFactory, SessionFactory

READ_ONLY = ["booking", "registration", "offer", "checkin", "stamp", "lotterydraw"]


@pytest.fixture
def admin_client(client, world):
    world.staff.is_staff = True
    world.staff.is_superuser = True
    world.staff.save()
    client.force_login(world.staff)
    return client


@pytest.fixture
def records(world, fcfs):
    """One of each: a booking with its registrations, an offer (a seat given back), a check-in, a stamp
    and a lottery draw."""
    fcfs.session.capacity = 1
    fcfs.session.save(update_fields=["capacity"])
    mums = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    dads = booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid]
    )
    registration_cancel(actor=world.mum_user, registration=mums.registrations.get())
    offered = dads.registrations.get()
    assert offered.status == m.RegistrationStatus.OFFERED
    granny = booking_create_on_behalf(
        staff=world.staff,
        activity=fcfs.activity,
        session=SessionFactory(activity=fcfs.activity),
        persons=[world.granny],
    ).registrations.get()
    checkin = m.CheckIn.objects.create(
        registration=granny,
        session=granny.session,
        checked_in_by=world.staff,
        method=m.CheckInMethod.values[0],
    )
    checkpoint = m.Checkpoint.objects.create(activity=fcfs.activity, name="起点", position=1)
    stamp = m.Stamp.objects.create(
        checkpoint=checkpoint, registration=granny, session=granny.session, stamped_by=world.staff
    )
    lottery = ActivityFactory(organiser_user=world.staff, allocation=m.AllocationMode.LOTTERY, title="阅读班")
    draw = m.LotteryDraw.objects.create(
        activity=lottery,
        session=SessionFactory(activity=lottery),
        seed="a" * 64,
        capacity=1,
        entries=[],
        order=[],
        winners=[],
        drawn_by=world.staff,
    )
    return {
        "booking": dads,
        "registration": offered,
        "offer": offered.offer,
        "checkin": checkin,
        "stamp": stamp,
        "lotterydraw": draw,
    }


def _snapshot(obj):
    fresh = type(obj).objects.filter(pk=obj.pk).values().first()
    assert fresh is not None, f"{obj!r} was deleted"
    return fresh


@pytest.mark.parametrize("model", READ_ONLY)
def test_the_pages_stay_open_to_read_and_say_where_to_change(admin_client, records, model):
    obj = records[model]
    assert admin_client.get(reverse(f"admin:events_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:events_{model}_changelist"), {"q": "张"}).status_code == 200
    page = admin_client.get(reverse(f"admin:events_{model}_change", args=[obj.pk]))
    assert page.status_code == 200
    assert 'data-testid="engine-note"' in page.text
    assert reverse("events:staff_activities") in page.text
    assert 'name="_save"' not in page.text  # nothing to save: a page to read


@pytest.mark.parametrize("model", READ_ONLY)
def test_adding_in_the_admin_is_refused_even_for_a_superuser(admin_client, records, model):
    before = type(records[model]).objects.count()
    assert admin_client.get(reverse(f"admin:events_{model}_add")).status_code == 403
    response = admin_client.post(reverse(f"admin:events_{model}_add"), {"status": "confirmed"})
    assert response.status_code == 403
    assert type(records[model]).objects.count() == before


@pytest.mark.parametrize("model", READ_ONLY)
def test_changing_in_the_admin_is_refused_even_for_a_superuser(admin_client, records, model):
    obj = records[model]
    before = _snapshot(obj)
    data = {**{k: v for k, v in before.items() if v is not None}, "status": "confirmed", "capacity": 99}
    response = admin_client.post(reverse(f"admin:events_{model}_change", args=[obj.pk]), data)
    assert response.status_code == 403
    assert _snapshot(obj) == before


@pytest.mark.parametrize("model", READ_ONLY)
def test_deleting_in_the_admin_is_refused_even_for_a_superuser(admin_client, records, model):
    obj = records[model]
    before = _snapshot(obj)
    assert admin_client.get(reverse(f"admin:events_{model}_delete", args=[obj.pk])).status_code == 403
    response = admin_client.post(reverse(f"admin:events_{model}_delete", args=[obj.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert _snapshot(obj) == before


@pytest.mark.parametrize("model", READ_ONLY)
def test_the_delete_selected_action_is_gone(admin_client, records, model):
    obj = records[model]
    before = _snapshot(obj)
    changelist = reverse(f"admin:events_{model}_changelist")
    assert 'value="delete_selected"' not in admin_client.get(changelist).text
    admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes", "index": 0}
    )
    assert _snapshot(obj) == before


def test_a_bookings_registrations_show_no_field_to_edit(admin_client, records):
    page = admin_client.get(reverse("admin:events_booking_change", args=[records["booking"].pk]))
    assert page.status_code == 200
    assert records["registration"].person.name in page.text
    assert 'name="registrations-0-person"' not in page.text
