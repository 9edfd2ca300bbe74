"""The tablet pages' raw reads (issue 13: the ORM's query building cost more than running the queries) are
held to the ORM queries they replace, on SQLite and on PostgreSQL: the day-care session with its
activity, week and programme under the same rule of who runs it; a page of the roster (every state, any
offset) and one child's registration, with the day's times and the allergies the viewer may see."""

import pytest
from django.http import Http404

from events.models import CheckIn, CheckInMethod, CheckOut, Registration, Session
from portal.accounts.models import Role
from portal.community.models import Person, SensitiveProfile
from tests.accounts.factories import UserFactory
from tests.community.factories import OrganizationFactory
from youth.selectors import pickup as sel
from youth.selectors.access import youth_activities_managed_by
from youth.selectors.children import with_allergies

from ._f_pickup import daycare_day, sign_in
from .factories import YouthActivityFactory

pytestmark = pytest.mark.django_db


def _session_orm(*, user, session_id) -> Session | None:
    """The ORM query ``daycare_session_get`` ran before issue 13."""
    return (
        Session.objects.filter(
            pk=session_id,
            activity__daycare_week__isnull=False,
            activity__in=youth_activities_managed_by(user).values("pk"),
        )
        .select_related("activity__daycare_week__programme")
        .first()
    )


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_daycare_session_get_is_the_orm_query_for_every_kind_of_user(youth_data):
    org = OrganizationFactory()
    organiser = UserFactory(role=Role.PARTNER_STAFF, organization=org)
    d = daycare_day(children=1, organiser=organiser)
    d.programme.organiser_org = org
    d.programme.save(update_fields=["organiser_org"])
    d.session.activity.__class__.objects.filter(pk=d.session.activity_id).update(organiser_org=org)
    colleague = UserFactory(role=Role.PARTNER_STAFF, organization=org)
    stranger = UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory())
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    inactive = UserFactory(role=Role.COMMUNITY_STAFF, is_active=False)
    resident = UserFactory(role=Role.RESIDENT)
    course = YouthActivityFactory().activity
    a_class = Session.objects.create(
        activity=course, starts_at=d.session.starts_at, ends_at=d.session.ends_at, capacity=5
    )
    seen = 0
    for user in (organiser, colleague, stranger, staff, inactive, resident):
        for pk in (d.session.pk, a_class.pk, 10**9):
            expected = _session_orm(user=user, session_id=pk)
            if expected is None:
                with pytest.raises(Http404):
                    sel.daycare_session_get(user=user, session_id=pk)
                continue
            seen += 1
            got = sel.daycare_session_get(user=user, session_id=pk)
            assert _fields(got) == _fields(expected)
            assert _fields(got.activity) == _fields(expected.activity)
            assert _fields(got.activity.daycare_week) == _fields(expected.activity.daycare_week)
            assert _fields(sel.programme_of(got)) == _fields(sel.programme_of(expected))
    assert seen == 3  # the organiser, her colleague and community staff
    for bad in ("x", None, 2**70):
        with pytest.raises(Http404):
            sel.daycare_session_get(user=staff, session_id=bad)


def _roster_orm(*, session, viewer, state, offset, limit):
    """The ORM query a page of the roster came from before issue 13 (roster_page_loaded)."""
    ids = sel.roster_order(session=session, state=state)[offset : offset + limit]
    rows = sel.roster_queryset(session=session).filter(pk__in=ids.values("pk"))
    return list(with_allergies(rows, viewer=viewer))


def _seen(regs) -> list[tuple]:
    return [
        (
            r.pk,
            r.person_id,
            r.person.name,
            r.person.birth_date,
            r.status,
            r.signed_in_at,
            r.signed_out_at,
            r.released_to,
            bool(r.child_allergies_visible),
            r.child_allergies,
        )
        for r in regs
    ]


def _a_day():
    """Two children of the guardian, 14 more with names in mixed order, signed in, signed out (one
    without a sign-in), cancelled after arriving, waitlisted, an adult booked, allergies here and there."""
    d = daycare_day(children=2)
    sign_in(d)
    booking = Registration.objects.filter(activity=d.week.activity).first().booking
    kids = Person.objects.bulk_create(
        [Person(name=name, birth_date=d.child.birth_date) for name in "赵钱孙李周吴郑王冯陈褚卫蒋沈"]
    )
    regs = Registration.objects.bulk_create(
        [Registration(booking=booking, activity=d.week.activity, person=k, status="confirmed") for k in kids]
    )
    for r in regs[::2]:
        CheckIn.objects.create(
            registration=r, session=d.session, checked_in_by=d.staff, method=CheckInMethod.STAFF_SEARCH
        )
    for r in (regs[0], regs[1], regs[4]):
        CheckOut.objects.create(
            registration=r, session=d.session, checked_out_by=d.staff, released_to="王秀英"
        )
    Registration.objects.filter(pk=regs[2].pk).update(status="cancelled")
    Registration.objects.filter(pk=regs[3].pk).update(status="waitlisted", queue_no=1)
    grown = kids[5]
    grown.birth_date = grown.birth_date.replace(year=grown.birth_date.year - 30)
    grown.save(update_fields=["birth_date"])
    SensitiveProfile.objects.bulk_create(
        [SensitiveProfile(person=kids[i], allergies="牛奶") for i in (0, 5, 6, 9)]
    )
    return d


def test_a_roster_page_is_the_orm_query_in_every_state_and_at_every_offset(youth_data):
    d = _a_day()
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory())
    checked = 0
    for viewer in (d.staff, d.mum.user, partner, None):
        for state in ("", *sel.STATES):
            for offset, limit in ((0, 25), (0, 5), (5, 5), (15, 5), (40, 5)):
                expected = _roster_orm(
                    session=d.session, viewer=viewer, state=state, offset=offset, limit=limit
                )
                got = sel._roster_read(
                    session=d.session, viewer=viewer, state=state, limit=limit, offset=offset
                )
                assert _seen(got) == _seen(expected), (viewer, state, offset)
                checked += len(got)
    assert checked > 100
    # A page reads only the columns it shows (sel.PAGE_REGISTRATION, sel.PAGE_PERSON); any other is still
    # the row's own when asked for.
    got = sel._roster_read(session=d.session, viewer=d.staff, limit=3, offset=0)
    expected = _roster_orm(session=d.session, viewer=d.staff, state="", offset=0, limit=3)
    assert [_fields(r) for r in got] == [_fields(r) for r in expected]
    assert [_fields(r.person) for r in got] == [_fields(r.person) for r in expected]
    # The sequence the view pages: its slices are the same reads.
    page = sel.RosterPageList(session=d.session, viewer=d.staff, state="", count=15)
    assert len(page) == 15
    assert _seen(page[10:35]) == _seen(
        _roster_orm(session=d.session, viewer=d.staff, state="", offset=10, limit=5)
    )
    assert page[15:40] == []


def test_roster_child_get_is_the_orm_query(youth_data):
    d = _a_day()
    for viewer in (d.staff, d.mum.user, None):
        for reg in Registration.objects.filter(activity=d.week.activity):
            expected = sel.roster_queryset(session=d.session).filter(person_id=reg.person_id)
            if viewer is not None:
                expected = with_allergies(expected, viewer=viewer)
            expected = expected.first()
            if expected is None:
                with pytest.raises(Http404):
                    sel.roster_child_get(session=d.session, child_id=reg.person_id, viewer=viewer)
                continue
            got = sel.roster_child_get(session=d.session, child_id=reg.person_id, viewer=viewer)
            if viewer is None:
                got.child_allergies_visible = expected.child_allergies_visible = False
                got.child_allergies = expected.child_allergies = None
            assert _seen([got]) == _seen([expected])
            assert _fields(got) == _fields(expected)
            assert _fields(got.person) == _fields(expected.person)
    for bad in ("x", 2**70, 10**9):
        with pytest.raises(Http404):
            sel.roster_child_get(session=d.session, child_id=bad, viewer=d.staff)


def _collectors_orm(*, child_ids, day):
    """collectors_for's two ORM queries before issue 13."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from youth.models import PickupPerson
    from youth.selectors.access import guardians_by_child
    from youth.selectors.collectors import Collector

    out = {pk: [] for pk in child_ids}
    for child_id, guardians in guardians_by_child(child_ids).items():
        for g in guardians:
            out[child_id].append(
                Collector(
                    kind="guardian",
                    pk=g.pk,
                    name=g.name,
                    relation=_("Guardian"),
                    phone=str(g.phone or (g.user.phone if g.user_id else "") or ""),
                )
            )
    people = (
        PickupPerson.objects.valid_on(day).filter(child_id__in=child_ids).order_by("only_on", "name", "pk")
    )
    for p in people:
        out[p.child_id].append(
            Collector(
                kind="pickup",
                pk=p.pk,
                name=p.name,
                relation=p.get_relation_display(),
                phone=str(p.phone or ""),
                photo_url=reverse("youth:pickup_photo", args=[p.pk]) if p.photo else "",
                only_today=p.only_on is not None,
            )
        )
    return out


def test_collectors_and_refused_attempts_are_the_orm_queries(youth_data):
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from tests.youth.factories import GuardianFactory, PickupPersonFactory
    from youth.models import PickupAttempt, PickupOutcome
    from youth.selectors.collectors import collectors_for

    d = _a_day()
    today = timezone.localdate()
    dad = GuardianFactory(name="张建国")
    from portal.community.models import Relation, RelationKind

    Relation.objects.create(subject=dad, relative=d.child, kind=RelationKind.GUARDIAN)
    dad.phone = ""
    dad.save(update_fields=["phone"])  # his account's phone is shown
    kid2 = d.kids[1]
    standing = PickupPersonFactory(child=d.child, name="李奶奶", added_by=d.mum.user)
    standing.photo.save("face.jpg", ContentFile(b"x"), save=True)
    PickupPersonFactory(
        child=d.child, name="阿姨", only_on=today + datetime.timedelta(days=1), added_by=d.mum.user
    )
    revoked = PickupPersonFactory(child=kid2, name="王叔叔", added_by=d.mum.user)
    revoked.revoked_at = timezone.now()
    revoked.save(update_fields=["revoked_at"])
    PickupPersonFactory(child=kid2, name="赵爷爷", relation="grandfather_p", added_by=d.mum.user)
    ids = [d.child.pk, kid2.pk, 10**9]
    for day in (today, today + datetime.timedelta(days=1)):
        for some in (ids, ids[:1], ids[1:]):
            assert collectors_for(child_ids=some, day=day) == _collectors_orm(child_ids=some, day=day)
    got = collectors_for(child_ids=ids, day=today)
    assert [c.kind for c in got[d.child.pk]].count("guardian") == 2
    assert any(c.photo_url for c in got[d.child.pk])
    assert collectors_for(child_ids=[], day=today) == {}

    for n, outcome in enumerate([PickupOutcome.REFUSED] * 12 + [PickupOutcome.RELEASED]):
        PickupAttempt.objects.create(
            session=d.session,
            child=d.child,
            name=f"某人{n}",
            relation="邻居",
            outcome=outcome,
            reason="不在名单上",
            staff=d.staff,
            at=timezone.now() - datetime.timedelta(minutes=n),
        )
    expected = list(
        PickupAttempt.objects.filter(
            session=d.session, child_id=d.child.pk, outcome=PickupOutcome.REFUSED
        ).order_by("-at")[:10]
    )
    got = sel.refused_today(session=d.session, child_id=d.child.pk)
    assert [_fields(a) for a in got] == [_fields(a) for a in expected]
    assert len(got) == 10
    assert sel.refused_today(session=d.session, child_id=kid2.pk) == []
