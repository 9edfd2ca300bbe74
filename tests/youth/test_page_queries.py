"""The tablet day roster costs the same number of queries with two children and with more than a page of
them (issue 13: the page's ids are chosen first, then only its rows are loaded; the counts use IN
subqueries), and still lists them in name order with the right counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import CheckIn, CheckInMethod, CheckOut, Registration
from portal.community.models import Person, Relation, RelationKind
from youth.views.pickup import PAGE_SIZE

from ._f_pickup import daycare_day, sign_in

pytestmark = pytest.mark.django_db


def more_children(d, n: int, start: int) -> list[Registration]:
    """``n`` more children booked for the week (bulk), the even ones signed in today. Their names (赵…)
    come after the first two children's (张…), so the first page still holds the same kinds of rows (a
    child with allergies and a pickup person): what a page costs may depend on what it shows, not on how
    many children are booked."""
    kids = Person.objects.bulk_create([Person(name=f"赵孩子{start + i:04d}") for i in range(n)])
    Relation.objects.bulk_create(
        [Relation(subject=d.mum, relative=k, kind=RelationKind.GUARDIAN) for k in kids]
    )
    booking = Registration.objects.filter(activity=d.week.activity).first().booking
    regs = Registration.objects.bulk_create(
        [Registration(booking=booking, activity=d.week.activity, person=k, status="confirmed") for k in kids]
    )
    CheckIn.objects.bulk_create(
        [
            CheckIn(
                registration=r, session=d.session, checked_in_by=d.staff, method=CheckInMethod.STAFF_SEARCH
            )
            for r in regs[::2]
        ]
    )
    return regs


def count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_day_roster_queries_do_not_grow(client, youth_data):
    d = daycare_day(children=2)
    sign_in(d)
    client.force_login(d.staff)
    url = reverse("youth:roster_session", args=[d.session.pk])
    few = count(client, url)
    more_children(d, 120, 0)
    assert count(client, url) == few


def test_day_roster_page_is_in_name_order_with_its_counts(client, youth_data):
    d = daycare_day(children=2)
    sign_in(d)
    regs = more_children(d, 60, 0)
    CheckOut.objects.create(
        registration=regs[0], session=d.session, checked_out_by=d.staff, released_to="王秀英"
    )
    client.force_login(d.staff)
    response = client.get(reverse("youth:roster_session", args=[d.session.pk]))
    rows = response.context["rows"]
    assert len(rows) == PAGE_SIZE == 25
    booked = Registration.objects.filter(activity=d.week.activity, status="confirmed")
    in_db_order = list(
        booked.order_by("person__name", "person_id").values_list("person_id", flat=True)[:PAGE_SIZE]
    )
    assert [r.child.pk for r in rows] == in_db_order  # the database's collation decides the name order
    assert response.context["counts"] == {"booked": 62, "waiting": 31, "here": 30, "gone": 1}
    states = {r.child.pk: r.state for r in rows}
    assert states[regs[0].person_id] == "gone"
    assert states[regs[1].person_id] == "waiting"
