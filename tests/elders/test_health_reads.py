"""The clinic entry page's list read with its SQL written once (issue 13), held to the ORM read it replaces
(``clinic_attendees`` paged by ``portal.pagination.page_with_count``), on SQLite and on PostgreSQL: the same
people in the same order, the same check-in times and reading counts, the same page for any page asked."""

import pytest
from django.db.models import IntegerField
from django.db.models.expressions import RawSQL

from elders.models import Reading, ReadingKind
from elders.selectors import health as sel
from events.models import RegistrationStatus
from portal.pagination import page_with_count

from .test_page_queries import grow

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    from tests.accounts.factories import UserFactory

    from ._f_health import health_world

    w = health_world()
    w.volunteer = UserFactory(name="李欣怡", phone="+8613800000019")
    w.count = 0
    grow(w, 7)  # booked, every other one checked in
    regs = list(w.session.registrations.order_by("pk"))
    # One cancelled after she came (still on the list), one cancelled who never came (off it), one
    # waitlisted (on it), and readings taken for one.
    regs[0].status = RegistrationStatus.CANCELLED
    regs[0].save(update_fields=["status"])
    regs[1].status = RegistrationStatus.CANCELLED
    regs[1].save(update_fields=["status"])
    regs[3].status, regs[3].queue_no = RegistrationStatus.WAITLISTED, 1
    regs[3].save(update_fields=["status", "queue_no"])
    for value in (120, 130):
        Reading.objects.create(
            elder=regs[2].person,
            session=w.session,
            kind=ReadingKind.BLOOD_PRESSURE,
            value=value,
            value2=80,
            unit="mmHg",
            recorded_by=w.staff,
        )
    return w


def _orm_page(session, per_page, number):
    count_sql, params = sel._attendee_count_sql(session)
    length = RawSQL(count_sql, params, output_field=IntegerField())  # noqa: S611
    page, _found = page_with_count(sel.clinic_attendees(session=session), per_page, number, count=length)
    return page


def _shape(page):
    return (
        page.number,
        page.paginator.count,
        page.paginator.num_pages,
        [(p.pk, p.name, p.checked_in_at, p.readings_here) for p in page.object_list],
    )


@pytest.mark.parametrize("number", [None, 1, 2, 3, 4, 99, 0, -1, "x", "2", 2.5, 10**30])
def test_clinic_page_is_the_orm_read(world, number, django_assert_max_num_queries):
    expected = _shape(_orm_page(world.session, 3, number))
    with django_assert_max_num_queries(3):
        got = _shape(sel.clinic_attendees_page(session=world.session, per_page=3, number=number))
    assert got == expected
    assert expected[1] == 6  # seven booked, one cancelled without coming


def test_clinic_page_of_an_empty_clinic(world):
    from ._f_health import clinic_session

    empty = clinic_session(world.activity)
    for number in (None, 2):
        assert _shape(sel.clinic_attendees_page(session=empty, per_page=3, number=number)) == _shape(
            _orm_page(empty, 3, number)
        )
