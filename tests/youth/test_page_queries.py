"""The tablet day roster and the sign-out page cost the same number of queries with two children and with
more than a page of them (issue 13: the roster's page ids are chosen first, walking the children's name
index, in a subquery of the query that loads only its rows, with the allergies she may see; the counts
read the session's check-ins and sign-outs without joining every child booked), and still show the same: name order, the counts, the allergies and their
log."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import CheckIn, CheckInMethod, CheckOut, Registration
from portal.community.models import AccessLog, Person, Relation, RelationKind, SensitiveProfile
from youth.selectors.children import allergies_for
from youth.selectors.pickup import roster_counts
from youth.views.pickup import PAGE_SIZE

from ._f_pickup import daycare_day, sign_in

#: What a page costs the community staff running the day-care, with the platform's own queries (her
#: session and user, the inbox badge). Day roster: the session; the counts; the page's rows (its ids chosen in
#: a subquery) with the allergies she may see; the allergy log (begin, insert, commit). Sign-out: the session; her
#: registration with her allergies; her guardians and pickup persons (one statement); the allergy log;
#: refused attempts.
ROSTER_QUERIES = 8
SIGN_OUT_QUERIES = 9

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
    assert count(client, url) == ROSTER_QUERIES
    more_children(d, 120, 0)
    assert count(client, url) == ROSTER_QUERIES
    for state in ("waiting", "here"):  # a page of each, 张小红 waiting and 张小明 here among them
        assert count(client, f"{url}?state={state}&page=1") == ROSTER_QUERIES


def test_sign_out_queries_do_not_grow(client, youth_data):
    d = daycare_day(children=2)
    sign_in(d)
    client.force_login(d.staff)
    url = reverse("youth:sign_out", args=[d.session.pk, d.child.pk])
    assert count(client, url) == SIGN_OUT_QUERIES
    more_children(d, 120, 0)
    assert count(client, url) == SIGN_OUT_QUERIES


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


def test_day_roster_counts_match_the_rows(youth_data):
    """The counts are what the registrations and the session's check-ins and check-outs say, also for a
    child signed out without a sign-in, a cancelled registration with a check-in and another day's
    check-in."""
    d = daycare_day(children=2)
    sign_in(d)
    regs = more_children(d, 10, 0)  # the even ones signed in today
    CheckOut.objects.create(registration=regs[0], session=d.session, checked_out_by=d.staff, released_to="甲")
    CheckOut.objects.create(registration=regs[1], session=d.session, checked_out_by=d.staff, released_to="乙")
    Registration.objects.filter(pk=regs[2].pk).update(status="cancelled")
    other_day = d.session.activity.sessions.exclude(pk=d.session.pk).first()
    if other_day is not None:
        CheckIn.objects.create(
            registration=regs[3], session=other_day, checked_in_by=d.staff, method=CheckInMethod.STAFF_SEARCH
        )
    booked = [r for r in Registration.objects.filter(activity=d.week.activity, status="confirmed")]
    came = set(CheckIn.objects.filter(session=d.session).values_list("registration_id", flat=True))
    went = set(CheckOut.objects.filter(session=d.session).values_list("registration_id", flat=True))
    assert (
        roster_counts(session=d.session)
        == {
            "booked": len(booked),
            "waiting": sum(r.pk not in came for r in booked),
            "here": sum(r.pk in came and r.pk not in went for r in booked),
            "gone": sum(r.pk in went for r in booked),
        }
        == {"booked": 11, "waiting": 6, "here": 4, "gone": 2}
    )


def _counts_joined(session) -> dict[str, int]:
    """The reference: every registration booked for the session joined to its check-in and sign-out
    (what roster_counts did before issue 13 and must still say)."""
    from django.db.models import Count, FilteredRelation

    row = (
        Registration.objects.filter(activity_id=session.activity_id, status="confirmed")
        .filter(Q(session__isnull=True) | Q(session_id=session.pk))
        .annotate(
            came=FilteredRelation("checkins", condition=Q(checkins__session_id=session.pk)),
            went=FilteredRelation("checkouts", condition=Q(checkouts__session_id=session.pk)),
        )
        .aggregate(
            booked=Count("pk"),
            waiting=Count("pk", filter=Q(came__isnull=True)),
            here=Count("pk", filter=Q(came__isnull=False, went__isnull=True)),
            gone=Count("pk", filter=Q(went__isnull=False)),
        )
    )
    return {k: row[k] or 0 for k in ("booked", "waiting", "here", "gone")}


def test_day_roster_counts_do_not_drift_from_the_join(youth_data):
    """The counts read from the session's check-ins and sign-outs (less those of unconfirmed
    registrations) stay what the full join says through a day: arrivals, departures, a child cancelled
    after she arrived, one cancelled after she went home, one cancelled with a sign-out and no sign-in, a
    waitlisted child, a registration for the session alone and another day's registration."""
    d = daycare_day(children=2)
    sign_in(d)
    regs = more_children(d, 12, 0)  # the even ones signed in today
    assert roster_counts(session=d.session) == _counts_joined(d.session)

    def out(reg):
        CheckOut.objects.create(registration=reg, session=d.session, checked_out_by=d.staff, released_to="甲")

    out(regs[0])
    out(regs[2])
    out(regs[3])  # without a sign-in
    out(regs[5])  # without a sign-in, then cancelled
    Registration.objects.filter(pk__in=[regs[4].pk, regs[2].pk, regs[5].pk]).update(status="cancelled")
    Registration.objects.filter(pk=regs[7].pk).update(status="waitlisted", queue_no=1)
    other_day = d.session.activity.sessions.exclude(pk=d.session.pk).first()
    booking = regs[0].booking
    kids = Person.objects.bulk_create([Person(name=f"钱孩子{i}") for i in range(2)])
    Registration.objects.create(
        booking=booking, activity=d.week.activity, session=d.session, person=kids[0], status="confirmed"
    )
    if other_day is not None:
        other = Registration.objects.create(
            booking=booking, activity=d.week.activity, session=other_day, person=kids[1], status="confirmed"
        )
        CheckIn.objects.create(
            registration=other, session=other_day, checked_in_by=d.staff, method=CheckInMethod.STAFF_SEARCH
        )
    assert roster_counts(session=d.session) == _counts_joined(d.session)


def test_allergies_on_the_roster_and_sign_out_are_those_allergies_for_gives(client, youth_data):
    """Read with the page's rows, the allergies shown and logged are the same as allergies_for's: a booked
    person of 18 (not a child) keeps hers hidden and unlogged."""
    d = daycare_day(children=2)
    sign_in(d)
    grown = more_children(d, 1, 0)[0].person
    grown.birth_date = d.child.birth_date.replace(year=d.child.birth_date.year - 30)
    grown.save(update_fields=["birth_date"])
    SensitiveProfile.objects.create(person=grown, allergies="芒果")
    ids = [d.child.pk, d.kids[1].pk, grown.pk]
    expected = allergies_for(viewer=d.staff, child_ids=ids, where="test")
    assert expected == {d.child.pk: "花生"}
    AccessLog.objects.all().delete()
    client.force_login(d.staff)
    rows = client.get(reverse("youth:roster_session", args=[d.session.pk])).context["rows"]
    assert {r.child.pk: r.allergies for r in rows if r.allergies} == expected
    logged = AccessLog.objects.filter(reason="youth:roster_session", user=d.staff)
    assert sorted(logged.values_list("person_id", flat=True)) == sorted([d.child.pk, d.kids[1].pk])
    sign_in(d, d.kids[1])  # the grown-up was signed in with the others
    for child, allergies in ((d.child, "花生"), (d.kids[1], ""), (grown, "")):
        response = client.get(reverse("youth:sign_out", args=[d.session.pk, child.pk]))
        assert response.status_code == 200
        assert response.context["allergies"] == allergies
        logs = AccessLog.objects.filter(reason="youth:sign_out", person=child).count()
        assert logs == (0 if child == grown else 1)
