"""The elders pages changed for issue 13 cost the same number of queries with a few elders and with many:
the elder list, "my visits and calls", the overdue list and the clinic entry page. Elders are
bulk-created (a profile, a contact plan held by the volunteer, every third overdue, a booking and a
check-in at today's clinic); each page is fetched once to warm, then counted."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from elders.models import ContactPlan, ElderProfile
from events.models import Booking, CheckIn, CheckInMethod, Registration, RegistrationStatus
from portal.accounts.models import Role
from portal.community.models import Household, Person
from tests.accounts.factories import UserFactory

from ._f_health import health_world


@pytest.fixture
def world(db):
    w = health_world()
    w.volunteer = UserFactory(role=Role.VOLUNTEER, name="李欣怡", phone="+8613800000019")
    w.count = 0
    return w


def grow(world, n: int) -> None:
    today = timezone.localdate()
    start = world.count
    homes = Household.objects.bulk_create(
        [Household(building=world.building, unit="9", room=f"{start + k:05d}") for k in range(n)]
    )
    elders = Person.objects.bulk_create(
        [
            Person(name=f"老人{start + k:05d}", birth_date=datetime.date(1940, 1, 1), household=homes[k])
            for k in range(n)
        ]
    )
    ElderProfile.objects.bulk_create([ElderProfile(person=p, helper=world.volunteer) for p in elders])
    ContactPlan.objects.bulk_create(
        [
            ContactPlan(
                elder=p,
                every_days=30,
                assigned_to=world.volunteer,
                starts_on=today - datetime.timedelta(days=90),
                due_on=today - datetime.timedelta(days=20 if k % 3 == 0 else -(k % 25)),
            )
            for k, p in enumerate(elders)
        ]
    )
    session = world.session
    bookings = Booking.objects.bulk_create(
        [
            Booking(activity=session.activity, session=session, booked_by=world.staff, on_behalf=True)
            for _ in elders
        ]
    )
    regs = Registration.objects.bulk_create(
        [
            Registration(
                booking=b,
                activity=session.activity,
                session=session,
                person=p,
                status=RegistrationStatus.CONFIRMED,
            )
            for b, p in zip(bookings, elders, strict=True)
        ]
    )
    CheckIn.objects.bulk_create(
        [
            CheckIn(
                registration=r, session=session, checked_in_by=world.staff, method=CheckInMethod.STAFF_SEARCH
            )
            for r in regs[::2]
        ]
    )
    world.count += n


def count_queries(client, url) -> tuple[int, object]:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


PAGES = [
    ("elders:index", "staff", lambda w: ()),
    ("elders:my_contacts", "volunteer", lambda w: ()),
    ("elders:overdue", "staff", lambda w: ()),
    ("elders:clinic", "nurse", lambda w: (w.session.pk,)),
]


@pytest.mark.parametrize(("name", "who", "args"), PAGES, ids=[p[0] for p in PAGES])
def test_page_queries_do_not_grow(world, client, name, who, args):
    client.force_login(getattr(world, who))
    url = reverse(name, args=args(world))
    grow(world, 10)
    few, _ = count_queries(client, url)
    grow(world, 290)
    many, _ = count_queries(client, url)
    assert few == many


def test_my_contacts_page_is_in_order_with_its_joins(world, client):
    """The page of plans is chosen first, then joined: still due and overdue first, each with her address."""
    grow(world, 60)
    client.force_login(world.volunteer)
    response = client.get(reverse("elders:my_contacts"))
    rows = response.context["rows"]
    assert rows
    keys = [(r.plan.due_on, r.elder.name, r.plan.pk) for r in rows]
    assert keys == sorted(keys)
    assert response.context["counts"]["total"] == 60
    with CaptureQueriesContext(connection) as ctx:
        assert all(r.elder.household.building.grid_id == world.grid.pk for r in rows)
    assert not ctx.captured_queries


def test_overdue_list_shows_only_overdue_plans(world, client):
    grow(world, 30)
    client.force_login(world.staff)
    rows = client.get(reverse("elders:overdue")).context["rows"]
    assert len(rows) == 10
    assert all(r.overdue for r in rows)


def test_clinic_entry_lists_booked_and_checked_in(world, client):
    """The count (taken with the page, a window over the list) agrees with the list: 20 booked (half checked
    in), one who came although her booking was cancelled, one whose booking was cancelled and who did not
    come (not listed)."""
    grow(world, 20)
    session = world.session
    came, stayed_away = Person.objects.bulk_create([Person(name="来了的"), Person(name="没来的")])
    for person in (came, stayed_away):
        booking = Booking.objects.create(activity=session.activity, session=session, booked_by=world.staff)
        reg = Registration.objects.create(
            booking=booking,
            activity=session.activity,
            session=session,
            person=person,
            status=RegistrationStatus.CANCELLED,
        )
        if person is came:
            CheckIn.objects.create(
                registration=reg,
                session=session,
                checked_in_by=world.staff,
                method=CheckInMethod.STAFF_SEARCH,
            )
    client.force_login(world.nurse)
    response = client.get(reverse("elders:clinic", args=[session.pk]))
    assert response.status_code == 200
    attendees = response.context["attendees"]
    assert attendees.paginator.count == 21
    # The whole list, as the ORM states it (the page reads it with its SQL written once).
    from elders.selectors.health import clinic_attendees

    listed = {p.pk for p in clinic_attendees(session=session)}
    assert len(listed) == 21
    assert came.pk in listed and stayed_away.pk not in listed


def test_overdue_page_count_comes_from_the_counts_by_grid(world, client):
    """The paginator's length is taken from the counts by grid (no second COUNT): all grids, one grid, a
    grid with nobody overdue."""
    from tests.community.factories import GridFactory

    grow(world, 30)
    empty = GridFactory(name="第二网格")
    client.force_login(world.staff)
    url = reverse("elders:overdue")
    assert client.get(url).context["page"].paginator.count == 10
    assert client.get(url, {"grid": world.grid.pk}).context["page"].paginator.count == 10
    response = client.get(url, {"grid": empty.pk})
    assert response.context["page"].paginator.count == 0
    assert response.context["rows"] == []
