"""Factories of the youth area. The suite's clock is frozen at Wednesday 2026-11-18 10:00 (tests/conftest.py):
a child born in 2018 is 8 on every run, and ``DaycareProgrammeFactory`` runs from that Monday (16 November)
by default, so "today" is a day-care day with a session from 08:00 to 17:30."""

import datetime

import factory
from django.conf import settings
from django.utils import timezone

from events import models as em
from portal.accounts.models import Role
from portal.community import models as cm
from tests.accounts.factories import UserFactory
from tests.community.factories import HouseholdFactory, OrganizationFactory, PersonFactory  # noqa: F401
from youth import models as m


def at(day: datetime.date, t: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, t, tzinfo=timezone.get_current_timezone())


class GuardianFactory(PersonFactory):
    """A parent with an account (``.user``), 38 on the suite's day."""

    name = factory.Sequence(lambda n: f"家长{n:03d}")
    birth_date = datetime.date(1988, 3, 1)
    user = factory.SubFactory(UserFactory, role=Role.RESIDENT)


class ChildFactory(PersonFactory):
    """A child aged 8 of ``guardian`` (a new ``GuardianFactory`` in her household when not given; given, the
    child joins the guardian's household), with the guardian's child-data consent on record
    (``consent=False`` leaves it out: a child under 14 whose details may not be kept). The guardian is
    ``child.guardian_for_tests``."""

    class Meta:
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"孩子{n:03d}")
    birth_date = datetime.date(2018, 6, 1)

    @factory.post_generation
    def guardian(obj, create, extracted, **kwargs):
        if not create:
            return
        guardian = extracted if extracted is not None else GuardianFactory(household=obj.household)
        if guardian.household_id and obj.household_id != guardian.household_id:
            obj.household = guardian.household
            obj.save(update_fields=["household"])
        cm.Relation.objects.get_or_create(subject=guardian, relative=obj, kind=cm.RelationKind.GUARDIAN)
        obj.guardian_for_tests = guardian

    @factory.post_generation
    def consent(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        guardian = obj.guardian_for_tests
        cm.Consent.objects.get_or_create(
            person=obj,
            purpose=cm.ConsentPurpose.MINOR,
            withdrawn_at=None,
            defaults={
                "notice_version": settings.PRIVACY_NOTICE_VERSION,
                "given_by": guardian.user or UserFactory(),
                "given_as_guardian": True,
            },
        )


class ChildProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ChildProfile
        django_get_or_create = ("person",)

    person = factory.SubFactory(ChildFactory)
    school_name = "永兴小学"
    grade = m.Grade.P3


class PickupPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PickupPerson

    child = factory.SubFactory(ChildFactory)
    name = "王秀英"
    relation = m.PickupRelation.GRANDMOTHER_MATERNAL
    phone = factory.Sequence(lambda n: f"+86137{n:08d}")
    added_by = factory.LazyAttribute(lambda o: UserFactory())


class DaycareProgrammeFactory(factory.django.DjangoModelFactory):
    """A day-care of ``weeks`` weeks (default 2) from Monday 2026-11-16, weekdays only, 08:00-17:30, each
    week an events activity (youth area, one registration for the week, first come, ``capacity`` places
    a day) with its daily sessions. ``organiser`` runs it (community staff by default)."""

    class Meta:
        model = m.DaycareProgramme
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"暑托班{n}")
    place = "永兴社区党群服务中心二楼"
    starts_on = datetime.date(2026, 11, 16)
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + datetime.timedelta(days=7 * o.weeks - 3))
    day_starts = datetime.time(8, 0)
    day_ends = datetime.time(17, 30)
    min_age = 6
    max_age = 12

    class Params:
        weeks = 2
        capacity = 20
        organiser = factory.SubFactory(UserFactory, role=Role.COMMUNITY_STAFF)
        allocation = em.AllocationMode.FCFS

    # The Params reach _create through this one non-field value (factory_boy passes only declarations).
    build_options = factory.LazyAttribute(
        lambda o: {
            "weeks": o.weeks,
            "capacity": o.capacity,
            "organiser": o.organiser,
            "allocation": o.allocation,
        }
    )

    @classmethod
    def _create(cls, model_class, *args, build_options=None, **kw):
        options = build_options or {}
        weeks = options.get("weeks", 2)
        capacity = options.get("capacity", 20)
        organiser = options.get("organiser")
        allocation = options.get("allocation", em.AllocationMode.FCFS)
        programme = super()._create(model_class, *args, **kw)
        organiser = organiser or UserFactory(role=Role.COMMUNITY_STAFF)
        now = timezone.now()
        for number in range(1, weeks + 1):
            first = programme.starts_on + datetime.timedelta(days=7 * (number - 1))
            last = min(first + datetime.timedelta(days=4), programme.ends_on)
            activity = em.Activity.objects.create(
                title=f"{programme.title} 第{number}周",
                area=em.Area.YOUTH,
                place=programme.place,
                status=em.ActivityStatus.PUBLISHED,
                organiser_user=organiser,
                organiser_org=programme.organiser_org,
                allocation=allocation,
                registration_scope=em.RegistrationScope.COURSE,
                capacity=capacity,
                min_age=programme.min_age,
                max_age=programme.max_age,
                booking_opens_at=now - datetime.timedelta(days=30),
                booking_closes_at=at(last, programme.day_ends),
            )
            m.DaycareWeek.objects.create(
                programme=programme, activity=activity, number=number, starts_on=first, ends_on=last
            )
            day = first
            while day <= last:
                em.Session.objects.create(
                    activity=activity,
                    starts_at=at(day, programme.day_starts),
                    ends_at=at(day, programme.day_ends),
                    capacity=capacity,
                )
                day += datetime.timedelta(days=1)
        return programme


def today_session(programme) -> em.Session:
    """The programme's session on the suite's day."""
    day = timezone.localdate()
    return em.Session.objects.get(activity__daycare_week__programme=programme, starts_at__date=day)


def book(child_or_children, week, *, by=None) -> em.Booking:
    """A confirmed booking of a week for the children (through the engine's service)."""
    from events.services import booking_create

    children = child_or_children if isinstance(child_or_children, list | tuple) else [child_or_children]
    guardian = (
        by
        or cm.Person.objects.filter(relations__relative=children[0], relations__kind=cm.RelationKind.GUARDIAN)
        .select_related("user")
        .first()
        .user
    )
    return booking_create(actor=guardian, activity=week.activity, persons=children)


class YouthActivityFactory(factory.django.DjangoModelFactory):
    """A holiday class (events activity of the youth area, a course) with its youth facts."""

    class Meta:
        model = m.YouthActivity

    activity = factory.SubFactory(
        "tests.events.factories.ActivityFactory",
        area=em.Area.YOUTH,
        registration_scope=em.RegistrationScope.COURSE,
        min_age=6,
        max_age=12,
        capacity=20,
    )
    kind = m.ProgrammeKind.CLASS
    audience = m.Audience.CHILDREN
    subject = m.Subject.PAINTING
