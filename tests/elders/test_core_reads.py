"""Reads of the elder list and the elder page rewritten for issue 13, held to the ORM reads they replace
(on SQLite and on PostgreSQL): the elder page's one read of her (``elder_page_get``, its SQL written
once), and the list's rows read with only the columns a row shows."""

import datetime

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from elders.models import ContactPlan, ElderProfile, RiskLevel
from elders.selectors import profiles as selectors
from elders.selectors.access import elders_visible_to
from portal.accounts.models import Role
from portal.community.models import Consent, ConsentPurpose, Person
from portal.community.services import consent_record_at_desk
from tests.accounts.factories import UserFactory
from tests.community.factories import HouseholdFactory, PersonFactory

from ._f_core import ElderFactory, ElderProfileFactory, daughter_for, grid_worker, staff_user

pytestmark = pytest.mark.django_db

_RELATIONS = (
    "user",
    "elder_profile__helper",
    "elder_profile__family_doctor",
    "elder_profile__risk_override_by",
    "elder_profile__updated_by",
    "contact_plan__assigned_to",
)


def _orm_page_get(*, viewer, person_id):
    """The ORM read ``elder_page_get`` replaces."""
    health = Consent.objects.active().filter(person=OuterRef("pk"), purpose=ConsentPurpose.HEALTH)
    try:
        return (
            elders_visible_to(viewer=viewer)
            .select_related(*_RELATIONS)
            .annotate(health_consent=Exists(health))
            .get(pk=person_id)
        )
    except Person.DoesNotExist:
        raise Http404 from None


def _values(instance):
    if instance is None:
        return None
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _related(person, path: str):
    obj = person
    for name in path.split("__"):
        try:
            obj = getattr(obj, name)
        except (ElderProfile.DoesNotExist, ContactPlan.DoesNotExist):
            return None
        if obj is None:
            return None
    return obj


def _snapshot(person):
    paths = (
        "household",
        "household__building",
        "household__building__estate",
        "household__building__grid",
        "elder_profile",
        "contact_plan",
        *_RELATIONS,
    )
    return {
        "person": _values(person),
        "health_consent": bool(person.health_consent),
        **{path: _values(_related(person, path)) for path in paths},
    }


@pytest.fixture
def cast():
    staff = staff_user()
    helper = UserFactory(role=Role.VOLUNTEER, name="李欣怡")
    doctor = UserFactory(name="王医生")
    # A full one: profile with its people, a contact plan, her own account, her health consent.
    full = ElderFactory(user=UserFactory(name="张桂兰"))
    ElderProfileFactory(
        person=full,
        helper=helper,
        family_doctor=doctor,
        risk_override=RiskLevel.HIGH,
        risk_override_by=staff,
        risk_override_at=datetime.datetime(2026, 11, 1, 9, 30, tzinfo=datetime.UTC),
        risk_override_reason="住院",
        updated_by=staff,
        needs="买菜",
        risk_reasons=["lives_alone", "age_80"],
    )
    ContactPlan.objects.create(
        elder=full,
        every_days=7,
        assigned_to=helper,
        starts_on=datetime.date(2026, 11, 1),
        due_on=datetime.date(2026, 11, 8),
    )
    consent_record_at_desk(staff=staff, person=full, purpose=ConsentPurpose.HEALTH)
    # A bare one: old enough, no profile, no plan, no household, no account.
    bare = ElderFactory(household=None)
    # Younger, with a profile (on the roster), and a withdrawn consent.
    younger = PersonFactory(birth_date=datetime.date(1968, 1, 1), household=HouseholdFactory())
    ElderProfileFactory(person=younger)
    consent_record_at_desk(staff=staff, person=younger, purpose=ConsentPurpose.HEALTH)
    Consent.objects.filter(person=younger).update(
        withdrawn_at=datetime.datetime(2026, 11, 2, tzinfo=datetime.UTC)
    )
    # Not an elder, and an inactive elder.
    young = PersonFactory(birth_date=datetime.date(1990, 1, 1))
    gone = ElderFactory(is_active=False)
    return {
        "staff": staff,
        "helper": helper,
        "grid_worker": grid_worker(grid=full.household.building.grid),
        "other_grid": grid_worker(),
        "daughter": daughter_for(bare)[0],
        "people": [full, bare, younger, young, gone],
    }


@pytest.mark.parametrize("who", ["staff", "helper", "grid_worker", "other_grid", "daughter"])
def test_elder_page_get_is_the_orm_read(cast, who, django_assert_num_queries):
    viewer = cast[who]
    for person in cast["people"]:
        try:
            expected = _snapshot(_orm_page_get(viewer=viewer, person_id=person.pk))
        except Http404:
            expected = None
        try:
            with django_assert_num_queries(1):
                got = selectors.elder_page_get(viewer=viewer, person_id=person.pk)
        except Http404:
            assert expected is None, (who, person.name)
            continue
        assert expected is not None, (who, person.name)
        # Everything the page reads of her is loaded: no query when her relations are followed.
        with django_assert_num_queries(0):
            assert _snapshot(got) == expected
        assert got.read_for_page is True


def test_elder_page_get_unknown_ids(cast):
    for pk in (0, 10**12, 2**70):
        with pytest.raises(Http404):
            selectors.elder_page_get(viewer=cast["staff"], person_id=pk)


def test_list_rows_read_only_what_a_row_shows(cast):
    """The list's rows (``.only``) give the same facts as the full rows, without a query per row."""
    staff = cast["staff"]
    full = list(
        selectors.elders_for_list(viewer=staff)
        .select_related(None)
        .select_related("household__building__estate", "elder_profile")
        .defer(None)
    )
    page = list(selectors.elders_for_list(viewer=staff))
    assert [p.pk for p in page] == [p.pk for p in full]
    with CaptureQueriesContext(connection) as full_queries:
        expected = selectors.elder_rows(viewer=staff, persons=full)
    with CaptureQueriesContext(connection) as page_queries:  # no deferred column read row by row
        got = selectors.elder_rows(viewer=staff, persons=page)
    assert len(page_queries) == len(full_queries)
    keys = ("age_text", "band_label", "short_address", "living_label", "groups", "risk_level", "risk_label")
    keys += ("reasons_text", "overridden", "url")
    assert [[getattr(r, k) for k in keys] + [r.person.name] for r in got] == [
        [getattr(r, k) for k in keys] + [r.person.name] for r in expected
    ]
