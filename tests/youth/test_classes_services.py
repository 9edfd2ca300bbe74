"""Holiday classes and lectures: created through the engine with their youth facts; audience rules on
every booking (the youth service and the engine's own booking alike), each refusal with its reason and
nothing booked."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from events.models import Activity, Booking, CapacityUnit, Registration, RegistrationScope, Session
from events.services import booking_create
from portal.accounts.models import Role
from portal.community.models import OrganizationKind
from tests.accounts.factories import UserFactory
from tests.community.factories import OrganizationFactory
from youth.models import Audience, ProgrammeKind, YouthActivity
from youth.services.classes import youth_class_book

from ._f_classes import make_class, make_lecture, staff
from .factories import ChildFactory, GuardianFactory

pytestmark = pytest.mark.django_db


def _reasons(exc) -> str:
    return " ".join(exc.value.messages)


# --- creating ------------------------------------------------------------------------------------


def test_a_class_is_a_youth_course_with_its_meetings_and_facts():
    school = OrganizationFactory(name="开发区实验小学", kind=OrganizationKind.SCHOOL)
    youth = make_class(count=5, partner=school)
    a = youth.activity
    assert (a.area, a.registration_scope, a.capacity_unit) == (
        "youth",
        RegistrationScope.COURSE,
        CapacityUnit.PERSON,
    )
    assert (youth.kind, youth.audience, youth.partner) == (ProgrammeKind.CLASS, Audience.CHILDREN, school)
    assert a.sessions.count() == 5 and not a.adults_accompany
    starts = [timezone.localtime(s.starts_at) for s in a.sessions.order_by("starts_at")]
    assert all(s.time() == datetime.time(9, 0) and s.weekday() < 5 for s in starts)


def test_family_audiences_count_families_and_parent_child_lets_adults_accompany():
    siblings = make_class(audience=Audience.SIBLINGS).activity
    pc = make_class(audience=Audience.PARENT_CHILD, title="亲子手工课").activity
    assert siblings.capacity_unit == pc.capacity_unit == CapacityUnit.FAMILY
    assert pc.adults_accompany and not siblings.adults_accompany
    assert Activity.objects.get(pk=pc.pk).adults_accompany


def test_a_lecture_is_one_session_for_adults():
    lecture = make_lecture()
    a = lecture.activity
    assert a.sessions.count() == 1 and a.min_age == 18 and a.max_age is None
    assert lecture.kind == ProgrammeKind.LECTURE and lecture.audience == Audience.GUARDIANS


def test_refusals_name_the_field_and_save_nothing():
    before = (Activity.objects.count(), Session.objects.count(), YouthActivity.objects.count())
    with pytest.raises(ValidationError) as exc:
        make_class(max_age=30)
    assert "max_age" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        make_class(kind=ProgrammeKind.LECTURE, audience=Audience.CHILDREN)
    assert "audience" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        make_class(
            days_ahead=-3, booking_closes_at=None
        )  # a first meeting in the past: the engine's session rule, after the activity
    assert "first" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        make_class(title=" ")
    assert "title" in exc.value.error_dict
    assert (Activity.objects.count(), Session.objects.count(), YouthActivity.objects.count()) == before


def test_partner_staff_run_classes_with_their_own_organisation_only():
    group = OrganizationFactory(name="南通大学青年志愿者协会", kind=OrganizationKind.VOLUNTEER_GROUP)
    school = OrganizationFactory(name="开发区实验小学", kind=OrganizationKind.SCHOOL)
    volunteer_staff = UserFactory(role=Role.PARTNER_STAFF, organization=group)
    youth = make_class(actor=volunteer_staff)
    assert youth.partner == group and youth.activity.organiser_org == group
    with pytest.raises(ValidationError) as exc:
        make_class(actor=volunteer_staff, partner=school)
    assert "partner" in exc.value.error_dict
    with pytest.raises(PermissionDenied):
        make_class(actor=UserFactory(role=Role.RESIDENT))


# --- audience rules ------------------------------------------------------------------------------


def _no_booking(activity):
    assert not Booking.objects.filter(activity=activity).exists()
    assert not Registration.objects.filter(activity=activity).exists()


def test_children_class_books_children_in_range():
    a = make_class().activity
    child = ChildFactory()
    booking = youth_class_book(actor=child.guardian_for_tests.user, activity=a, persons=[child])
    assert booking.registrations.get().person == child


def test_children_class_refuses_an_adult_and_a_child_out_of_range():
    a = make_class(min_age=9, max_age=12).activity
    child = ChildFactory()  # 8
    guardian = child.guardian_for_tests
    with pytest.raises(ValidationError) as exc:
        youth_class_book(actor=guardian.user, activity=a, persons=[guardian])
    assert "for children only" in _reasons(exc)
    with pytest.raises(ValidationError) as exc:
        booking_create(actor=guardian.user, activity=a, persons=[child])  # the engine's own booking
    assert "this activity is for ages 9 and over" in _reasons(exc)
    _no_booking(a)


def test_a_child_under_14_without_consent_is_refused_on_every_path():
    a = make_class().activity
    child = ChildFactory(consent=False)
    user = child.guardian_for_tests.user
    for book in (youth_class_book, booking_create):
        with pytest.raises(ValidationError) as exc:
            book(actor=user, activity=a, persons=[child])
        assert "consent" in _reasons(exc)
    _no_booking(a)


def test_siblings_are_booked_together_as_one_family():
    a = make_class(audience=Audience.SIBLINGS, capacity=1).activity
    first = ChildFactory()
    second = ChildFactory(guardian=first.guardian_for_tests)
    booking = youth_class_book(actor=first.guardian_for_tests.user, activity=a, persons=[first, second])
    assert booking.registrations.filter(status="confirmed").count() == 2  # one family, one place


def test_siblings_class_refuses_one_child_and_children_of_two_households():
    a = make_class(audience=Audience.SIBLINGS).activity
    only = ChildFactory()
    with pytest.raises(ValidationError) as exc:
        booking_create(actor=only.guardian_for_tests.user, activity=a, persons=[only])
    assert "at least two children of one family" in _reasons(exc)
    mother = GuardianFactory()
    mine = ChildFactory(guardian=mother)
    cousin = ChildFactory()  # another household, and the mother is made her guardian too
    from portal.community.models import Relation, RelationKind

    Relation.objects.create(subject=mother, relative=cousin, kind=RelationKind.GUARDIAN)
    with pytest.raises(ValidationError) as exc:
        youth_class_book(actor=mother.user, activity=a, persons=[mine, cousin])
    assert "not of one household" in _reasons(exc)
    _no_booking(a)


def test_parent_and_child_books_the_guardian_with_her_child():
    a = make_class(audience=Audience.PARENT_CHILD, min_age=5, max_age=10).activity
    child = ChildFactory()
    guardian = child.guardian_for_tests
    booking = youth_class_book(actor=guardian.user, activity=a, persons=[guardian, child])
    assert {r.person for r in booking.registrations.all()} == {guardian, child}


def test_parent_and_child_refusals():
    a = make_class(audience=Audience.PARENT_CHILD, min_age=5, max_age=10).activity
    child = ChildFactory()
    guardian = child.guardian_for_tests
    with pytest.raises(ValidationError) as exc:
        booking_create(actor=guardian.user, activity=a, persons=[child])
    assert "book a guardian with" in _reasons(exc)
    with pytest.raises(ValidationError) as exc:
        booking_create(actor=guardian.user, activity=a, persons=[guardian])
    reasons = _reasons(exc)
    assert "book at least one child" in reasons and "ages up to 10" in reasons  # alone she is held to it
    _no_booking(a)


def test_a_lecture_is_for_adults():
    a = make_lecture().activity
    child = ChildFactory()
    guardian = child.guardian_for_tests
    with pytest.raises(ValidationError) as exc:
        booking_create(actor=guardian.user, activity=a, persons=[child])
    assert "ages 18 and over" in _reasons(exc)
    _no_booking(a)
    assert youth_class_book(actor=guardian.user, activity=a, persons=[guardian]).registrations.count() == 1


def test_the_rule_costs_nothing_outside_the_youth_area():
    from events.services.eligibility import booking_refusals
    from tests.events.factories import ActivityFactory

    other = ActivityFactory()
    assert booking_refusals(activity=other, persons=[GuardianFactory()]) == []


def test_the_reasons_read_well_in_chinese():
    from django.utils import translation

    a = make_class(min_age=9, max_age=12).activity
    young = ChildFactory(name="张小明")  # 8
    no_consent = ChildFactory(name="王小宝", consent=False)
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as exc:
            booking_create(actor=young.guardian_for_tests.user, activity=a, persons=[young])
        assert "张小明在" in _reasons(exc) and "本活动仅限9岁及以上人员参加" in _reasons(exc)
        with pytest.raises(ValidationError) as exc:
            youth_class_book(actor=no_consent.guardian_for_tests.user, activity=a, persons=[no_consent])
        assert "王小宝未满14周岁" in _reasons(exc)


# --- attendance ----------------------------------------------------------------------------------


def test_attendance_tick_once_per_registration_and_a_walk_in():
    from events.models import CheckIn
    from youth.services.classes import attendance_tick

    a = make_class().activity
    session = a.sessions.order_by("starts_at").first()
    child = ChildFactory()
    reg = youth_class_book(
        actor=child.guardian_for_tests.user, activity=a, persons=[child]
    ).registrations.get()
    user = staff()
    attendance_tick(actor=user, session=session, registration=reg)
    with pytest.raises(ValidationError) as exc:
        attendance_tick(actor=user, session=session, registration=reg)
    assert "already checked in" in _reasons(exc)
    walk_in = ChildFactory(name="临时来的孩子")
    attendance_tick(actor=user, session=session, person=walk_in)
    assert CheckIn.objects.filter(session=session).count() == 2
    assert Registration.objects.get(person=walk_in).booking.on_behalf
    with pytest.raises(PermissionDenied):
        attendance_tick(actor=child.guardian_for_tests.user, session=session, registration=reg)
