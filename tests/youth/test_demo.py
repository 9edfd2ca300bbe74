"""youth/demo.py: the youth area of the demo community (run by ``manage.py seed_demo``).

The whole demo community is built once for every area by tests/portal/test_seed_demo.py (seed_demo: the
community, the events demo, then each area), which calls ``story_checks``, ``counts`` and
``after_second_run`` here, and prints the seconds each area's part takes (asserted nowhere; see bench/).
The story checked on it: the dashboard's 15 holiday classes, 8 lectures and 600+ child service
instances, each equal to a count made directly from the records; last summer's day-care with sign-ins,
sign-outs and one refused pickup; this summer's early window still ahead and something open to book now;
and a second run that writes nothing. The seconds the youth part takes are printed (``-s`` shows them) and
asserted nowhere (see bench/ for figures)."""

from __future__ import annotations

import datetime
import re
from io import StringIO

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Activity, Area, CheckIn, CheckOut, Registration, RegistrationStatus, Session
from events.services.eligibility import WindowState, window_state
from portal.accounts.models import Role, User
from portal.community.models import Consent, ConsentPurpose, OrganizationKind, Person
from portal.management.commands.seed_demo import DEMO_PASSWORD
from portal.notify.models import Channel, Message
from youth import demo
from youth.models import (
    ChildProfile,
    DaycareProgramme,
    PickupAttempt,
    PickupOutcome,
    PickupPerson,
    ProgrammeKind,
    YouthActivity,
)

COUNTED = [
    "youth.ChildProfile",
    "youth.PickupPerson",
    "youth.DaycareProgramme",
    "youth.DaycareWeek",
    "youth.PickupAttempt",
    "youth.YouthActivity",
    "events.Activity",
    "events.Session",
    "events.Booking",
    "events.Registration",
    "events.CheckIn",
    "events.CheckOut",
    "events.Shift",
    "events.ShiftSignup",
    "events.TargetGroup",
    "accounts.User",
    "community.Person",
    "community.Consent",
    "community.Organization",
    "notify.Message",
    "volunteers.VolunteerProfile",
]


def _counts() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in COUNTED}


def _period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return demo.summer_start(demo.last_summer_year(today)), today


def _direct_child_instances(start: datetime.date, end: datetime.date, **only) -> int:
    """One check-in at a time: youth-area sessions in the period, the person under 18 on the session's day."""
    tz = timezone.get_current_timezone()
    lo = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    hi = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    rows = (
        CheckIn.objects.filter(**only)
        .filter(
            session__activity__area=Area.YOUTH,
            session__cancelled=False,
            session__starts_at__gte=lo,
            session__starts_at__lt=hi,
        )
        .select_related("registration__person", "session")
    )
    return sum(
        1 for c in rows if c.registration.person.age_on(timezone.localtime(c.session.starts_at).date()) < 18
    )


def _held(kind: str, start: datetime.date, end: datetime.date) -> int:
    tz = timezone.get_current_timezone()
    lo = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    hi = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return (
        YouthActivity.objects.filter(
            kind=kind,
            activity__sessions__starts_at__gte=lo,
            activity__sessions__starts_at__lt=hi,
            activity__sessions__starts_at__lte=timezone.now(),
            activity__sessions__cancelled=False,
        )
        .distinct()
        .count()
    )


def _tile_value(html: str, key: str) -> int:
    tile = html[html.index(f'data-testid="figure-{key}"') :][:600]
    return int(re.search(r'data-testid="value">([\d,]+)<', tile).group(1).replace(",", ""))


def _assert_dashboard(today):
    start, end = _period(today)
    assert (end - start).days <= 400  # one dashboard period covers it
    staff = User.objects.get(phone="+8613800000001")
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("reports:dashboard"), {"start": start.isoformat(), "end": end.isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    classes, lectures = _held(ProgrammeKind.CLASS, start, end), _held(ProgrammeKind.LECTURE, start, end)
    instances = _direct_child_instances(start, end)
    assert classes == _tile_value(html, "youth.classes_held") == 15
    assert lectures == _tile_value(html, "youth.lectures_held") == 8
    assert instances == _tile_value(html, "youth.child_instances") >= 600
    # The story's "600余次" are the holiday classes' (the day-care is counted besides).
    at_classes = _direct_child_instances(start, end, session__activity__youth__kind=ProgrammeKind.CLASS)
    assert at_classes == _tile_value(html, "youth.class_instances")
    assert 600 <= at_classes <= 720
    refused = PickupAttempt.objects.filter(outcome=PickupOutcome.REFUSED).count()
    assert refused == _tile_value(html, "youth.pickups_refused") == 1
    # The staff figures page shows the same, by programme and month.
    page = client.get(reverse("youth:stats"), {"start": start.isoformat(), "end": end.isoformat()})
    assert page.status_code == 200
    figures = page.content.decode()
    assert _tile_value(figures, "youth.child_instances") == instances
    total = re.search(r'data-testid="total-children">([\d,]+)<', figures).group(1)
    assert int(total.replace(",", "")) == instances


def _assert_partners(today):
    group = demo.VOLUNTEER_GROUP[0]
    students = Person.objects.filter(
        volunteer_profile__organization__name=group,
        volunteer_profile__organization__kind=OrganizationKind.VOLUNTEER_GROUP,
    )
    assert students.count() == len(demo.STUDENTS)
    teacher = User.objects.get(phone=demo.TEACHER[0])
    assert teacher.role == Role.PARTNER_STAFF and teacher.organization.name == demo.ORGANISER
    assert teacher.check_password(DEMO_PASSWORD)
    from allauth.mfa.models import Authenticator

    assert Authenticator.objects.filter(user=teacher, type=Authenticator.Type.TOTP).exists()
    # The students took the day-care's morning shifts, and checked in and out.
    programme = DaycareProgramme.objects.get(title=demo.summer_title(demo.last_summer_year(today)))
    sessions = Session.objects.filter(activity__daycare_week__programme=programme)
    from events.models import ShiftSignup

    signups = ShiftSignup.objects.filter(shift__session__in=sessions)
    assert signups.count() == 2 * sessions.count()
    assert set(signups.values_list("volunteer__person__name", flat=True)) <= {s[0] for s in demo.STUDENTS}
    assert not signups.filter(checked_out_at__isnull=True).exists()


def _assert_children(today):
    kids = (
        Person.objects.active()
        .aged_at_least(3)
        .aged_under(18)
        .filter(household__isnull=False, relations_to__kind="guardian")
        .distinct()
    )
    assert kids.count() > 100
    profiles = ChildProfile.objects.filter(person__in=kids)
    assert profiles.count() == kids.count()
    assert profiles.filter(school__name=demo.SCHOOL).count() > 30
    under_14 = kids.aged_under(14)
    consented = Consent.objects.active().filter(person__in=under_14, purpose=ConsentPurpose.MINOR)
    assert consented.values("person").distinct().count() == under_14.count()
    zixuan = Person.objects.get(name="刘子轩")
    assert PickupPerson.objects.filter(child=zixuan, name="王秀英", only_on__isnull=True).exists()
    assert PickupPerson.objects.filter(only_on__isnull=True).values("child").distinct().count() > 40
    assert PickupPerson.objects.filter(only_on__lt=today).exists()  # one-day passes, in the past


def _assert_last_summer(today):
    year = demo.last_summer_year(today)
    programme = DaycareProgramme.objects.get(title=demo.summer_title(year))
    assert programme.starts_on.year == year and programme.starts_on.month == 7
    assert programme.ends_on < today
    weeks = list(programme.weeks.select_related("activity").order_by("number"))
    assert len(weeks) == demo.SUMMER_WEEKS
    for week in weeks:
        assert week.activity.area == Area.YOUTH and week.activity.is_course
        assert week.activity.sessions.count() == 5
        booked = Registration.objects.filter(activity=week.activity)
        assert 40 <= booked.count() <= 60
        assert booked.filter(status=RegistrationStatus.CONFIRMED).count() <= demo.SUMMER_CAPACITY
    checkins = CheckIn.objects.filter(session__activity__daycare_week__programme=programme)
    checkouts = CheckOut.objects.filter(session__activity__daycare_week__programme=programme)
    assert checkins.count() == checkouts.count() > 500
    # Every sign-out after its sign-in, and its released pickup attempt naming who collected her.
    pairs = set(checkins.values_list("registration_id", "session_id"))
    assert set(checkouts.values_list("registration_id", "session_id")) == pairs
    released = PickupAttempt.objects.filter(
        session__activity__daycare_week__programme=programme, outcome=PickupOutcome.RELEASED
    )
    assert released.count() == checkouts.count()
    assert not released.filter(checkout__isnull=True).exists()
    assert not released.filter(pickup_person__isnull=True, guardian__isnull=True).exists()
    assert released.filter(pickup_person__relation__startswith="grand").exists()
    assert released.filter(pickup_person__only_on__isnull=False).exists()
    # Collected by an authorised person only: a pickup person of that child, valid that day.
    for attempt in released.filter(pickup_person__isnull=False).select_related("pickup_person", "session")[
        :200
    ]:
        assert attempt.pickup_person.child_id == attempt.child_id
        assert attempt.pickup_person.only_on in (None, attempt.session.local_date)
    # The one refusal: recorded with its reason, nothing signed out by it, and the guardian's inbox has it.
    refused = PickupAttempt.objects.get(outcome=PickupOutcome.REFUSED)
    assert refused.reason and refused.checkout_id is None and refused.child.name == "刘子轩"
    later = CheckOut.objects.get(registration__person=refused.child, session=refused.session)
    assert later.checked_out_at > refused.at
    mother = User.objects.get(phone="+8613800000005")
    inbox = Message.objects.inbox().filter(
        user=mother, channel=Channel.INBOX, key__startswith="youth.demo.pickup_refused"
    )
    assert inbox.count() == 1 and refused.name in inbox.get().body


def _assert_classes_and_lectures(today):
    start, end = _period(today)
    classes = YouthActivity.objects.filter(kind=ProgrammeKind.CLASS).select_related("activity")
    assert classes.count() == 15
    subjects = set(classes.values_list("subject", flat=True))
    assert {"classics", "painting", "crafts"} <= subjects
    for youth in classes:
        sessions = youth.activity.sessions.all()
        assert sessions.count() == 3
        assert all(start <= s.local_date <= demo.summer_end(start.year) for s in sessions)
        assert CheckIn.objects.filter(session__activity=youth.activity).count() > 20
    lectures = YouthActivity.objects.filter(kind=ProgrammeKind.LECTURE).select_related("activity")
    assert lectures.count() == 8
    for youth in lectures:
        assert youth.audience == "guardians" and youth.speaker
        visits = CheckIn.objects.filter(session__activity=youth.activity).select_related(
            "registration__person"
        )
        assert visits.count() >= 15
        assert all(v.registration.person.age >= 18 for v in visits)
        assert all(start <= s.local_date <= end for s in youth.activity.sessions.all())


def _assert_this_summer_and_winter(today, now):
    this_summer = DaycareProgramme.objects.get(title=demo.summer_title(demo.last_summer_year(today) + 1))
    assert this_summer.starts_on > today
    for week in this_summer.weeks.select_related("activity__early_group"):
        activity = week.activity
        assert now < activity.early_opens_at < activity.booking_opens_at < activity.booking_closes_at
        assert activity.early_group.code == demo.DUAL_WORKER[0]
        assert window_state(activity=activity, now=now) == WindowState.NOT_YET_OPEN
    group = this_summer.weeks.first().activity.early_group
    assert group.members.filter(name__in=["刘子轩", "刘雨桐"]).count() == 2
    assert group.members.count() > 20
    # Something to book now: the winter day-care, through the engine as a guardian would.
    winter = DaycareProgramme.objects.get(title__contains="寒托班")
    week = winter.weeks.select_related("activity").get(number=1)
    assert window_state(activity=week.activity, now=now) == WindowState.OPEN
    from events.services import booking_create

    mother = User.objects.get(phone="+8613800000005")
    kids = list(Person.objects.filter(name__in=["刘子轩", "刘雨桐"], household__isnull=False))
    with transaction.atomic():
        booking = booking_create(actor=mother, activity=week.activity, persons=kids)
        assert booking.registrations.filter(status=RegistrationStatus.CONFIRMED).count() == 2
        transaction.set_rollback(True)


def _assert_the_activities_are_the_engines():
    """Everything the area shows is an events activity of the youth area."""
    ids = set(YouthActivity.objects.values_list("activity_id", flat=True))
    ids |= set(Activity.objects.filter(daycare_week__isnull=False).values_list("pk", flat=True))
    assert set(Activity.objects.filter(pk__in=ids).values_list("area", flat=True)) == {Area.YOUTH}


def story_checks(*, output: str, today, now) -> None:
    """The youth area's story, once ``seed_demo`` has run (called by tests/portal/test_seed_demo.py)."""
    assert any("last_summer" in line for line in output.splitlines())
    _assert_dashboard(today)
    _assert_partners(today)
    _assert_children(today)
    _assert_last_summer(today)
    _assert_classes_and_lectures(today)
    _assert_this_summer_and_winter(today, now)
    _assert_the_activities_are_the_engines()


def counts() -> dict:
    """What a second run must leave as it is."""
    return _counts()


def after_second_run(*, output: str, today, now) -> None:
    youth = output[output.index("Youth:") :]
    assert "already there" in youth
    assert "(0 made now" in youth and "0 profiles" in youth
    _assert_dashboard(today)


@pytest.mark.django_db
def test_the_demo_skips_politely_without_the_community():
    out = StringIO()
    demo.seed(stdout=out, today=datetime.date(2026, 11, 18))
    assert "skipped" in out.getvalue()
    assert not DaycareProgramme.objects.exists() and not YouthActivity.objects.exists()
