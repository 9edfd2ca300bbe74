"""elders/demo.py: the elders area of the demo community (run by ``manage.py seed_demo``).

The whole demo community is built once for every area by tests/portal/test_seed_demo.py (seed_demo: the
community, the events demo, then each area), which calls ``story_checks``, ``counts`` and
``after_second_run`` here; the seconds each area's part takes are printed there (``-s`` shows them) and
asserted nowhere (see bench/ for figures)."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.apps import apps
from django.db.models import Count, Max, Min
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from elders import demo, stats
from elders.models import (
    BirthdayCalendar,
    ContactLog,
    ContactPlan,
    Delivery,
    ElderProfile,
    FlagLevel,
    FollowUp,
    FollowUpStatus,
    HelperKind,
    LivingSituation,
    Need,
    NeedStatus,
    PlanPeriod,
    Reading,
    ServicePlan,
)
from events.models import Activity, Area, CheckIn, Registration, RegistrationStatus
from portal.accounts.models import User
from portal.community.models import Consent, ConsentPurpose, Organization, Person
from portal.management.commands.seed_demo import DEMO_PASSWORD

COUNTED = [
    "elders.ElderProfile",
    "elders.ServicePlan",
    "elders.Delivery",
    "elders.Reading",
    "elders.FollowUp",
    "elders.ContactPlan",
    "elders.ContactLog",
    "elders.Need",
    "elders.BirthdayGreeting",
    "events.Activity",
    "events.Session",
    "events.Registration",
    "events.CheckIn",
    "accounts.User",
    "community.Consent",
]


def _counts():
    return {label: apps.get_model(label).objects.count() for label in COUNTED}


def _eighty_plus():
    return Person.objects.active().aged_at_least(80).filter(household__isnull=False)


def _assert_profiles_and_helpers():
    elders = _eighty_plus()
    assert elders.count() == 82
    profiles = ElderProfile.objects.filter(person__in=elders)
    assert profiles.count() == 82
    assert profiles.filter(helper__isnull=False).count() == 82
    kinds = set(profiles.values_list("helper_kind", flat=True))
    assert {HelperKind.VOLUNTEER, HelperKind.PARTY_MEMBER, HelperKind.GRID_WORKER} <= kinds
    # Elders helping elders: some helpers are residents aged 60 to 79.
    younger = Person.objects.aged_at_least(60).aged_under(80).filter(user__elders_helped__person__in=elders)
    assert younger.exists()
    situations = dict(profiles.values_list("living_situation").annotate(n=Count("pk")))
    assert situations.get(LivingSituation.ALONE, 0) >= 30
    assert situations.get(LivingSituation.SPOUSE, 0) > 0 and situations.get(LivingSituation.FAMILY, 0) > 0
    assert profiles.filter(childless_widowed=True).exists()
    # Birthday greetings: some opted in, some of them on the lunar calendar (the story's mother among them).
    opted = profiles.filter(birthday_greetings=True)
    assert 10 <= opted.count() < 82
    assert opted.filter(birthday_calendar=BirthdayCalendar.LUNAR).exists()
    assert opted.filter(birthday_calendar=BirthdayCalendar.SOLAR).exists()
    assert opted.filter(person__name="王秀英", birthday_calendar=BirthdayCalendar.LUNAR).exists()
    # Every helper account can sign in with the published demo password.
    for user in User.objects.filter(elders_helped__isnull=False).distinct():
        assert user.check_password(DEMO_PASSWORD)


def _assert_plans_and_a_year_of_deliveries(today):
    home = Organization.objects.get(name=demo.NURSING_HOME)
    elders = _eighty_plus()
    plans = ServicePlan.objects.filter(organization=home)
    assert set(plans.values_list("elder", flat=True).distinct()) == set(elders.values_list("pk", flat=True))
    by_service = dict(plans.values_list("service__code").annotate(n=Count("pk")))
    assert by_service["health-management"] == 82  # monthly, for everyone
    assert 50 <= by_service["meal-delivery"] < 82  # daily, for most
    assert by_service["daily-care"] > 10 and by_service["rehabilitation"] > 3
    assert (
        plans.filter(service__code="meal-delivery", period=PlanPeriod.DAY).count()
        == by_service["meal-delivery"]
    )
    deliveries = Delivery.objects.filter(organization=home)
    span = deliveries.aggregate(first=Min("delivered_at"), last=Max("delivered_at"))
    assert timezone.localtime(span["first"]).date() <= today - datetime.timedelta(days=340)
    assert span["last"] <= timezone.now()
    assert deliveries.count() > 15_000
    # Some missed: a daily meal plan has fewer deliveries than days it ran.
    meal = plans.filter(service__code="meal-delivery").annotate(n=Count("deliveries")).order_by("pk")
    assert any(p.n < (today - p.starts_on).days for p in meal)
    assert not deliveries.exclude(elder__served_by=home).exists()


def _assert_clinics():
    clinic = Activity.objects.get(title=demo.CLINIC)
    assert clinic.area == Area.ELDERS and clinic.min_age == 60
    assert clinic.organiser_org.name == demo.HEALTH_CENTRE and demo.STATION in clinic.place
    now = timezone.now()
    held = clinic.sessions.filter(starts_at__lt=now)
    assert held.count() >= 10
    assert clinic.sessions.filter(starts_at__gt=now).exists()  # the next one, bookable
    visits = CheckIn.objects.filter(session__activity=clinic)
    assert visits.count() >= 500  # 500+ person-visits
    readings = Reading.objects.filter(session__activity=clinic)
    # A reading counts the visit: every person with readings at a session is checked in there, once.
    visited = set(readings.values_list("session_id", "elder_id").distinct())
    checked = set(visits.values_list("session_id", "registration__person_id"))
    assert visited == checked
    assert readings.filter(level=FlagLevel.ABNORMAL).count() > 20
    urgent = readings.filter(level=FlagLevel.URGENT)
    assert urgent.exists()
    assert all(r.flags for r in urgent)
    # Each flagged reading has its follow-up; old ones mostly closed with an outcome, recent ones open.
    flagged = readings.exclude(level=FlagLevel.NORMAL)
    assert FollowUp.objects.filter(reading__in=flagged).count() == flagged.count()
    assert FollowUp.objects.filter(status=FollowUpStatus.CLOSED).exclude(outcome="").exists()
    assert FollowUp.objects.filter(status=FollowUpStatus.OPEN).exists()
    # Health data only under the health consent.
    consented = set(
        Consent.objects.active().filter(purpose=ConsentPurpose.HEALTH).values_list("person_id", flat=True)
    )
    assert set(readings.values_list("elder_id", flat=True)) <= consented


def _assert_classes():
    for title in (demo.SMARTPHONE, demo.TAICHI):
        course = Activity.objects.get(title=title)
        assert course.area == Area.ELDERS and course.min_age == 60 and course.is_course
        now = timezone.now()
        assert course.sessions.filter(starts_at__lt=now).count() >= 3
        assert course.sessions.filter(starts_at__gt=now).exists()
        booked = Registration.objects.filter(activity=course, status=RegistrationStatus.CONFIRMED)
        assert booked.count() >= 10
        assert CheckIn.objects.filter(session__activity=course).count() > booked.count()
    # 郭玲 (72) learns mobile payment, as in the story.
    assert Registration.objects.filter(activity__title=demo.SMARTPHONE, person__name="郭玲").exists()


def _assert_contacts(today):
    elders = _eighty_plus()
    plans = ContactPlan.objects.filter(elder__in=elders)
    assert plans.count() == 82 and not plans.filter(assigned_to__isnull=True).exists()
    logs = ContactLog.objects.filter(elder__in=elders)
    assert logs.count() > 1500
    first = logs.aggregate(first=Min("contacted_at"))["first"]
    assert timezone.localtime(first).date() <= today - datetime.timedelta(days=330)
    assert plans.filter(due_on__lt=today - datetime.timedelta(days=7)).exists()  # some overdue
    assert plans.filter(due_on__gte=today).exists()  # most in hand
    assert plans.filter(unreached_in_row__gte=2).exists()  # some not reached twice in a row
    for plan in plans.filter(last_reached_at__isnull=False)[:20]:
        assert plan.due_on == timezone.localtime(plan.last_reached_at).date() + datetime.timedelta(
            days=plan.every_days
        )
    # The risk follows: not reached twice makes her high (core's rule).
    unreached = plans.filter(unreached_in_row__gte=2).values_list("elder_id", flat=True)
    assert ElderProfile.objects.filter(person__in=unreached, risk_level="high").count() == len(unreached)
    # Needs: open and closed, closed ones say what was done.
    assert Need.objects.filter(status=NeedStatus.CLOSED).exclude(resolution="").exists()
    assert Need.objects.exclude(status=NeedStatus.CLOSED).exists()
    assert not Need.objects.filter(raised_in__isnull=True).exists()


def _assert_dashboard(today):
    home = Organization.objects.get(name=demo.NURSING_HOME)
    figures = {f.key: f for f in stats.figures(start=today.replace(day=1), end=today)}
    key = f"elders.served_by_org.{home.pk}"
    if key not in figures:
        pytest.skip("the partners piece's dashboard figure elders.served_by_org.<pk> is not there yet")
    assert figures[key].value == 82
    staff = User.objects.get(phone="+8613800000001")
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("reports:dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    tile = html[html.index(f'data-testid="figure-{key}"') :]
    assert demo.NURSING_HOME in tile[:600]
    assert '<span class="report-value" data-testid="value">82</span>' in tile[:600]


def _assert_home_card_leads_into_the_area():
    from django.urls import NoReverseMatch

    try:
        area = reverse("elders:index")
    except NoReverseMatch:
        pytest.skip("elders:index (the core piece) is not there yet")
    page = Client().get(reverse("home"))
    assert f'href="{area}"' in page.content.decode()


def story_checks(*, output: str, today, now) -> None:
    """The story of the elders, once ``seed_demo`` has run (called by tests/portal/test_seed_demo.py, which
    builds the whole demo community once for every area and runs it a second time)."""
    assert any("profiles_and_services" in line for line in output.splitlines())
    _assert_profiles_and_helpers()
    _assert_plans_and_a_year_of_deliveries(today)
    _assert_clinics()
    _assert_classes()
    _assert_contacts(today)


def counts() -> dict:
    """What a second run must leave as it is (the contact plans' due dates too)."""
    plans = list(ContactPlan.objects.order_by("pk").values_list("pk", "due_on", "assigned_to", "every_days"))
    return {**_counts(), "contact plans": plans}


def after_second_run(*, output: str, today, now) -> None:
    assert "already there" in output
    _assert_dashboard(today)
    _assert_home_card_leads_into_the_area()


@pytest.mark.django_db
def test_the_demo_skips_politely_without_the_community():
    out = StringIO()
    demo.seed(stdout=out, today=datetime.date(2026, 11, 18))
    assert "skipped" in out.getvalue()
    assert not ServicePlan.objects.exists() and not ContactLog.objects.exists()
