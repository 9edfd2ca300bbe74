"""The classes page's attendance read with its SQL written once (``attendance_of``, issue 13), held to the
ORM reads it replaces (``attendance_totals``, and ``attendance_sessions`` paged by
``portal.pagination.page_with_count``), on SQLite and on PostgreSQL, for every kind of viewer and page."""

from __future__ import annotations

import pytest
from django.utils import timezone

from elders.selectors import classes as sel
from portal.accounts.models import Role
from portal.pagination import page_with_count
from tests.accounts.factories import UserFactory
from tests.community.factories import OrganizationFactory

from ._f_demo import elder_class, held_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewers():
    centre = OrganizationFactory(name="中兴街道社区卫生服务中心")
    organiser = UserFactory(role=Role.VOLUNTEER, name="王老师")
    clinic = elder_class(title="健康义诊", organiser_org=centre)
    course = elder_class(title="手机课", course=True)
    taught = elder_class(title="太极拳", organiser_user=organiser)
    other = elder_class(title="别人的课", organiser_org=OrganizationFactory(name="别的单位"))
    for days in (3, 10, 40, 500):  # the last one too long ago
        held_session(clinic, days_ago=days, booked=3, came=2)
    held_session(course, days_ago=3, booked=4, came=3)
    held_session(course, days_ago=10, booked=4, came=1)
    held_session(taught, days_ago=7, booked=2, came=2)
    held_session(other, days_ago=7, booked=1, came=0)
    cancelled = held_session(clinic, days_ago=5, booked=1, came=0)
    cancelled.cancelled = True
    cancelled.save()
    elder_class(title="还没开过的课")  # manageable, never held: no totals row
    return {
        "staff": UserFactory(role=Role.COMMUNITY_STAFF),
        "nurse": UserFactory(role=Role.PARTNER_STAFF, organization=centre),
        "organiser": organiser,
        "resident": UserFactory(role=Role.RESIDENT),
        "anonymous": None,
    }


def _orm(viewer, now, number, per_page):
    totals = sel.attendance_totals(viewer=viewer, now=now)
    if totals is None:
        return None, None
    page, _found = page_with_count(sel.attendance_sessions(viewer=viewer, now=now), per_page, number)
    return totals, page


def _shape(totals, page):
    if page is None:
        return totals, None
    rows = [
        (s.pk, s.activity_id, s.activity.title, s.starts_at, s.booked, s.checked_in, s.cancelled)
        for s in page.object_list
    ]
    return totals, (page.number, page.paginator.count, page.paginator.num_pages, rows)


@pytest.mark.parametrize("who", ["staff", "nurse", "organiser", "resident", "anonymous"])
@pytest.mark.parametrize("number", [None, 1, 2, 3, 9, 0, "x", 10**30])
def test_attendance_is_the_orm_read(viewers, who, number, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(sel, "ATTENDANCE_PAGE_SIZE", 2)
    viewer = viewers[who]
    now = timezone.now()
    expected = _shape(*_orm(viewer, now, number, 2))
    with django_assert_max_num_queries(4):  # two; a page past the end: counted, then the last page read
        got = _shape(*sel.attendance_of(viewer=viewer, now=now, number=number))
    assert got == expected
    if who == "staff":
        assert expected[1][1] == 7  # seven sessions held in the past year, not cancelled
