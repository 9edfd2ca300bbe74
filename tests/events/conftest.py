"""A family and a small community for the engine's tests.

朱晓燕 (mum, with an account) is guardian of two children and carer of her mother; a neighbour family and
a stranger without a household; a community staff member and a grid worker.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from portal.accounts.models import Role
from portal.accounts.sms import LocmemSMSBackend
from portal.community.models import RelationKind
from tests.community.factories import HouseholdFactory, PersonFactory, RelationFactory, UserFactory

from .factories import ActivityFactory, SessionFactory


def years_before(day: datetime.date, years: int, days: int = 0) -> datetime.date:
    return day.replace(year=day.year - years, day=min(day.day, 28)) - datetime.timedelta(days=days)


@pytest.fixture(autouse=True)
def _english():
    """Assertions read the English msgids; the default interface language is Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _eager_celery():
    from portal.celery import app

    was = app.conf.task_always_eager
    app.conf.task_always_eager = True
    LocmemSMSBackend.outbox.clear()
    yield
    app.conf.task_always_eager = was


def ensure_message_templates():
    """The engine's templates come from a data migration; a flushed database (transactional tests,
    --reuse-db) has lost them, so put them back."""
    import importlib

    from portal.notify.models import MessageTemplate

    sources = [
        ("portal.notify.migrations.0002_default_templates", "DEFAULT_TEMPLATES"),
        ("events.migrations.0002_message_templates", "TEMPLATES"),
        ("events.migrations.0005_reminder_template", "TEMPLATES"),
        ("events.migrations.0012_sessions", "TEMPLATES"),
    ]
    loose = importlib.import_module("events.migrations.0013_loose_ends")
    wanted = [data for module, name in sources for data in getattr(importlib.import_module(module), name)]
    codes = {data["code"] for data in [*wanted, *loose.LOOSE_A_TEMPLATES]}
    if MessageTemplate.objects.filter(code__in=codes).count() == len(codes):
        return  # the migrations' rows are there (not flushed): one query instead of one per template
    for data in wanted:
        MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)
    loose.loose_a_apply(MessageTemplate)


@pytest.fixture
def world(db):
    ensure_message_templates()
    today = timezone.localdate()
    home = HouseholdFactory()
    mum_user = UserFactory(name="朱晓燕")
    mum = PersonFactory(name="朱晓燕", user=mum_user, household=home, birth_date=datetime.date(1988, 3, 1))
    son = PersonFactory(name="张小明", household=home, birth_date=years_before(today, 8))
    daughter = PersonFactory(name="张小红", household=home, birth_date=years_before(today, 10))
    granny = PersonFactory(
        name="李秀英",
        household=HouseholdFactory(),
        birth_date=datetime.date(1945, 1, 1),
        phone="+8613700001111",
    )
    RelationFactory(subject=mum, relative=son, kind=RelationKind.GUARDIAN)
    RelationFactory(subject=mum, relative=daughter, kind=RelationKind.GUARDIAN)
    RelationFactory(subject=mum, relative=granny, kind=RelationKind.CARER)

    other_home = HouseholdFactory()
    dad_user = UserFactory(name="王强")
    dad = PersonFactory(name="王强", user=dad_user, household=other_home, gender="M")
    kid = PersonFactory(name="王小宝", household=other_home, birth_date=years_before(today, 9))
    RelationFactory(subject=dad, relative=kid, kind=RelationKind.GUARDIAN)

    stranger_user = UserFactory(name="外来人员")
    stranger = PersonFactory(name="外来人员", user=stranger_user, household=None)

    staff = UserFactory(role=Role.COMMUNITY_STAFF, name="社区工作人员")
    return SimpleNamespace(**locals())


def make_user_with_person(**person_kwargs):
    user = UserFactory()
    person = PersonFactory(user=user, **person_kwargs)
    return user, person


@pytest.fixture
def fcfs(world):
    """A published first-come-first-served activity with one session of 3 seats and a waitlist."""
    activity = ActivityFactory(organiser_user=world.staff, title="亲子烘焙")
    session = SessionFactory(activity=activity, capacity=3)
    return SimpleNamespace(activity=activity, session=session)
