"""Safe pickup, the services: sign-in at drop-off through the engine's check-in; sign-out only to a guardian
or a pickup person valid that day; anyone else refused, the attempt recorded (and committed) and every
guardian told at once past quiet hours; a second sign-out or one without sign-in refused with the engine's
reason; children not collected after the day's end told once."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from events.models import CheckIn, CheckOut
from portal.accounts.models import Role
from portal.notify.models import Message
from tests.accounts.factories import UserFactory
from tests.community.factories import OrganizationFactory
from youth.models import PickupAttempt, PickupOutcome
from youth.services.pickup import (
    PickupRefused,
    child_sign_in,
    child_sign_out,
    pickup_overdue_notify,
)

from ._f_pickup import daycare_day, sign_in
from .factories import ChildFactory, GuardianFactory, PickupPersonFactory, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def d(youth_data):
    return daycare_day()


def _nothing_out():
    return not CheckOut.objects.exists() and not PickupAttempt.objects.filter(outcome="released").exists()


# --- sign-in ------------------------------------------------------------------------------------------


def test_sign_in_checks_the_child_in_with_her_weeks_registration(d):
    checkin = sign_in(d)
    assert checkin.registration.person == d.child
    assert checkin.session == d.session and checkin.checked_in_by == d.staff


def test_second_sign_in_is_refused_with_the_time(d):
    first = sign_in(d)
    with pytest.raises(ValidationError) as exc:
        sign_in(d)
    hhmm = timezone.localtime(first.checked_in_at).strftime("%H:%M")
    assert exc.value.messages == [f"张小明 was already signed in at {hhmm}."]
    assert CheckIn.objects.count() == 1


def test_a_child_not_booked_this_week_is_refused(d):
    stranger = ChildFactory(name="李小华")
    with pytest.raises(ValidationError) as exc:
        child_sign_in(staff=d.staff, session=d.session, child=stranger)
    assert exc.value.messages == ["李小华 is not booked for this week."]
    assert not CheckIn.objects.exists()


def test_a_child_on_the_waitlist_is_refused(youth_data):
    from events.models import Registration

    d = daycare_day()
    Registration.objects.filter(person=d.child).update(status="waitlisted", queue_no=1)
    with pytest.raises(ValidationError) as exc:
        sign_in(d)
    assert "张小明 has no confirmed place" in exc.value.messages[0]
    assert not CheckIn.objects.exists()


def test_staff_of_another_organisation_may_not_sign_in(d):
    other = UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory())
    with pytest.raises(PermissionDenied):
        child_sign_in(staff=other, session=d.session, child=d.child)
    assert not CheckIn.objects.exists()


# --- sign-out, allowed --------------------------------------------------------------------------------


def test_sign_out_to_grandma_authorised_for_today(d):
    sign_in(d)
    attempt = child_sign_out(
        staff=d.staff, session=d.session, child=d.child, collector=f"pickup:{d.grandma.pk}"
    )
    assert attempt.outcome == PickupOutcome.RELEASED
    assert attempt.pickup_person == d.grandma and attempt.staff == d.staff
    checkout = CheckOut.objects.get()
    assert attempt.checkout == checkout
    assert checkout.released_to.startswith("王秀英")
    assert not Message.objects.filter(key__startswith="youth.pickup_refused").exists()


def test_sign_out_to_a_guardian(d):
    sign_in(d)
    attempt = child_sign_out(
        staff=d.staff, session=d.session, child=d.child, collector=f"guardian:{d.mum.pk}"
    )
    assert attempt.guardian == d.mum and attempt.outcome == "released"
    assert CheckOut.objects.get().released_to.startswith("朱晓燕")


# --- sign-out, refused: recorded, guardians told --------------------------------------------------------


def _assert_refused_and_told(d, exc, *, reason, name):
    attempt = exc.value.attempt
    assert exc.value.reason == reason
    assert exc.value.message_dict == {"collector": [reason]}
    assert attempt.outcome == PickupOutcome.REFUSED and attempt.reason == reason and attempt.name == name
    assert PickupAttempt.objects.filter(outcome="refused").count() == 1
    assert _nothing_out()
    rows = Message.objects.filter(key__startswith=f"youth.pickup_refused:attempt:{attempt.pk}:")
    assert sorted(rows.values_list("channel", flat=True)) == ["inbox", "sms"]
    assert {r.person_id for r in rows} == {d.mum.pk}
    sms = rows.get(channel="sms")
    assert "张小明" in sms.body and name in sms.body and "未获" in sms.body
    assert sms.not_before is None
    return attempt


def test_an_unlisted_person_typed_by_staff_is_refused_recorded_and_guardians_told(d):
    sign_in(d)
    with pytest.raises(PickupRefused) as exc:
        child_sign_out(
            staff=d.staff,
            session=d.session,
            child=d.child,
            collector=None,
            other_name=" 李四 ",
            other_relation="舅舅",
        )
    attempt = _assert_refused_and_told(
        d, exc, reason="This person is not on the list of people authorised to collect 张小明.", name="李四"
    )
    assert attempt.relation == "舅舅"


def test_yesterdays_one_day_pass_is_refused(d):
    sign_in(d)
    old = PickupPersonFactory(
        child=d.child,
        name="王阿姨",
        only_on=timezone.localdate() - datetime.timedelta(days=1),
        added_by=d.mum.user,
    )
    with pytest.raises(PickupRefused) as exc:
        child_sign_out(staff=d.staff, session=d.session, child=d.child, collector=f"pickup:{old.pk}")
    yday = old.only_on.strftime("%Y-%m-%d")
    attempt = _assert_refused_and_told(
        d, exc, reason=f"王阿姨 was authorised to collect 张小明 on {yday} only, not today.", name="王阿姨"
    )
    assert attempt.pickup_person == old


def test_a_revoked_pickup_person_is_refused(d):
    sign_in(d)
    d.grandma.revoked_at = timezone.now()
    d.grandma.save()
    with pytest.raises(PickupRefused) as exc:
        child_sign_out(staff=d.staff, session=d.session, child=d.child, collector=f"pickup:{d.grandma.pk}")
    _assert_refused_and_told(
        d, exc, reason="The authorisation of 王秀英 to collect 张小明 was revoked.", name="王秀英"
    )


def test_another_childs_pickup_person_is_refused_and_her_name_not_revealed(d):
    sign_in(d)
    theirs = PickupPersonFactory(child=ChildFactory(), name="赵敏", added_by=UserFactory())
    with pytest.raises(PickupRefused) as exc:
        child_sign_out(staff=d.staff, session=d.session, child=d.child, collector=f"pickup:{theirs.pk}")
    attempt = _assert_refused_and_told(
        d,
        exc,
        reason="This person is not on the list of people authorised to collect 张小明.",
        name="(no name given)",
    )
    assert attempt.pickup_person is None


def test_a_person_who_is_not_her_guardian_is_refused(d):
    sign_in(d)
    other_parent = GuardianFactory(name="钱多多")
    with pytest.raises(PickupRefused):
        child_sign_out(
            staff=d.staff,
            session=d.session,
            child=d.child,
            collector=f"guardian:{other_parent.pk}",
            other_name="钱多多",
        )
    assert PickupAttempt.objects.get().name == "钱多多"
    assert _nothing_out()


def test_every_guardian_is_told(d):
    from portal.community.models import Relation, RelationKind

    dad = GuardianFactory(name="张强", household=d.mum.household)
    Relation.objects.create(subject=dad, relative=d.child, kind=RelationKind.GUARDIAN)
    sign_in(d)
    with pytest.raises(PickupRefused):
        child_sign_out(staff=d.staff, session=d.session, child=d.child, collector=None, other_name="李四")
    told = set(
        Message.objects.filter(key__startswith="youth.pickup_refused").values_list("person_id", "channel")
    )
    assert told == {(d.mum.pk, "sms"), (d.mum.pk, "inbox"), (dad.pk, "sms"), (dad.pk, "inbox")}


def test_the_refused_attempt_is_committed_even_inside_a_request_transaction(
    d, django_capture_on_commit_callbacks
):
    """The service's own transaction commits before it raises: the outer caller's atomic (none in the view,
    a test here) does not undo the record because the exception is handled by the caller."""
    sign_in(d)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(PickupRefused):
        child_sign_out(staff=d.staff, session=d.session, child=d.child, collector=None, other_name="李四")
    assert callbacks, "the guardians' sends are queued on commit"
    assert PickupAttempt.objects.filter(outcome="refused").exists()


def test_refusal_at_night_goes_past_quiet_hours_on_the_urgent_lane(
    youth_data, monkeypatch, django_capture_on_commit_callbacks
):
    """22:00, her SMS turned off and quiet hours 21:00-08:00: the refusal still goes by SMS, now, urgently."""
    from portal.notify import services as notify_services
    from portal.notify.models import ContactPreference

    queued = []
    monkeypatch.setattr(
        notify_services, "_queue_send", lambda ids, urgent=False: queued.append((list(ids), urgent))
    )
    d = daycare_day()
    ContactPreference.objects.create(
        user=d.mum.user, sms_enabled=False, quiet_start=datetime.time(21), quiet_end=datetime.time(8)
    )
    with time_machine.travel(at(timezone.localdate(), datetime.time(22, 0)), tick=False):
        sign_in(d)
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(PickupRefused):
            child_sign_out(staff=d.staff, session=d.session, child=d.child, collector=None, other_name="李四")
    sms = Message.objects.get(key__startswith="youth.pickup_refused", channel="sms")
    assert sms.not_before is None and sms.queued_at is not None
    assert sms.address == str(d.mum.user.phone.as_e164)
    assert queued == [([sms.pk], True)]


def test_the_form_problems_change_nothing(d):
    sign_in(d)
    with pytest.raises(ValidationError) as exc:
        child_sign_out(staff=d.staff, session=d.session, child=d.child, collector=None, other_name="  ")
    assert "other_name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        child_sign_out(staff=d.staff, session=d.session, child=d.child, collector=None, other_name="李" * 51)
    assert "other_name" in exc.value.message_dict
    assert not PickupAttempt.objects.exists() and _nothing_out()
    assert not Message.objects.filter(key__startswith="youth.").exists()


def test_a_listed_name_typed_by_hand_asks_for_her_tile_and_records_nothing(d):
    sign_in(d)
    with pytest.raises(ValidationError) as exc:
        child_sign_out(staff=d.staff, session=d.session, child=d.child, collector=None, other_name="王秀英")
    assert exc.value.message_dict == {
        "other_name": ["王秀英 is on her list: choose her tile and check her photo."]
    }
    assert not PickupAttempt.objects.exists() and _nothing_out()
    assert not Message.objects.filter(key__startswith="youth.").exists()


# --- sign-out, engine refusals ------------------------------------------------------------------------


def test_signed_out_twice_is_refused_with_the_engines_reason(d):
    sign_in(d)
    first = child_sign_out(
        staff=d.staff, session=d.session, child=d.child, collector=f"pickup:{d.grandma.pk}"
    )
    with pytest.raises(ValidationError) as exc:
        child_sign_out(staff=d.staff, session=d.session, child=d.child, collector=f"guardian:{d.mum.pk}")
    hhmm = timezone.localtime(first.at).strftime("%H:%M")
    assert exc.value.messages == [f"张小明 was already signed out at {hhmm} to {first.checkout.released_to}."]
    assert CheckOut.objects.count() == 1 and PickupAttempt.objects.count() == 1


def test_sign_out_without_sign_in_is_refused(d):
    with pytest.raises(ValidationError) as exc:
        child_sign_out(staff=d.staff, session=d.session, child=d.child, collector=f"guardian:{d.mum.pk}")
    assert exc.value.messages == ["张小明 was not signed in today."]
    assert not PickupAttempt.objects.exists() and _nothing_out()


def test_staff_of_another_organisation_may_not_sign_out_nor_record_refusals(d):
    sign_in(d)
    other = UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory())
    for collector in (f"guardian:{d.mum.pk}", None):
        with pytest.raises(PermissionDenied):
            child_sign_out(
                staff=other, session=d.session, child=d.child, collector=collector, other_name="李四"
            )
    assert not PickupAttempt.objects.exists() and _nothing_out()
    assert not Message.objects.filter(key__startswith="youth.").exists()


# --- children not collected -----------------------------------------------------------------------------


def test_not_collected_after_the_days_end_tells_each_guardian_and_the_organiser_once(youth_data):
    d = daycare_day(children=2)
    sign_in(d, d.kids[0])
    sign_in(d, d.kids[1])
    child_sign_out(staff=d.staff, session=d.session, child=d.kids[1], collector=f"guardian:{d.mum.pk}")
    assert pickup_overdue_notify() == {"children": 0, "sessions": 0}  # 10:00: the day is not over
    late = at(timezone.localdate(), datetime.time(17, 40))
    with time_machine.travel(late, tick=False):
        assert pickup_overdue_notify() == {"children": 1, "sessions": 1}
        pickup_overdue_notify()  # a second run sends nothing new
    rows = Message.objects.filter(key__startswith="youth.not_collected:")
    assert sorted(rows.values_list("person_id", "channel")) == [(d.mum.pk, "inbox"), (d.mum.pk, "sms")]
    assert "张小明" in rows.get(channel="sms").body
    staff_rows = Message.objects.filter(key__startswith="youth.not_collected_staff:")
    assert list(staff_rows.values_list("user_id", "channel")) == [(d.staff.pk, "inbox")]
    assert "张小明" in staff_rows.get().body and "张小红" not in staff_rows.get().body


def test_the_scan_task_runs_the_service(youth_data):
    from youth.tasks import pickup_overdue_scan

    d = daycare_day()
    sign_in(d)
    with time_machine.travel(at(timezone.localdate(), datetime.time(18, 0)), tick=False):
        assert pickup_overdue_scan.delay().get() == {"children": 1, "sessions": 1}
