"""Volunteer shifts: sign-up rules (overlap, full, past, cancelled), the check-in window, hours maths,
the automatic close with flagged hours, exactly-once credit, and who may touch whose sign-up."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from events.models import Shift, ShiftSignup, ShiftSignupStatus
from events.services import (
    shift_check_in,
    shift_check_out,
    shift_hours,
    shift_signup,
    shift_signup_cancel,
    shifts_autoclose_due,
)
from events.tasks import autoclose_shifts
from portal.accounts.models import Role
from portal.volunteers.models import HoursEntry, HoursStatus
from tests.community.factories import PersonFactory, UserFactory
from tests.volunteers.factories import VolunteerProfileFactory

from .factories import ActivityFactory, SessionFactory

H = datetime.timedelta(hours=1)
M = datetime.timedelta(minutes=1)


def make_volunteer(name="志愿者"):
    user = UserFactory(role=Role.VOLUNTEER, name=name)
    VolunteerProfileFactory(person=PersonFactory(name=name, user=user))
    return user


def make_shift(session=None, *, starts_at=None, hours=2, slots=2, role="补给站"):
    session = session or SessionFactory(activity=ActivityFactory(title="迷你马拉松"))
    starts_at = starts_at or session.starts_at
    return Shift.objects.create(
        session=session, role=role, slots=slots, starts_at=starts_at, ends_at=starts_at + hours * H
    )


@pytest.fixture
def vol(db):
    return make_volunteer("陈志愿")


@pytest.fixture
def shift(db):
    return make_shift()


def test_sign_up_and_cancel(vol, shift):
    signup = shift_signup(actor=vol, shift=shift)
    assert signup.status == ShiftSignupStatus.SIGNED_UP
    with pytest.raises(ValidationError) as exc:
        shift_signup(actor=vol, shift=shift)
    assert exc.value.code == "already_signed_up"
    shift_signup_cancel(actor=vol, signup=signup)
    signup.refresh_from_db()
    assert signup.status == ShiftSignupStatus.CANCELLED
    again = shift_signup(actor=vol, shift=shift)  # she may come back
    assert again.pk != signup.pk


def test_only_volunteers_sign_up(world, shift):
    with pytest.raises(ValidationError) as exc:
        shift_signup(actor=world.mum_user, shift=shift)
    assert exc.value.code == "not_a_volunteer"


def test_overlapping_shifts_are_refused(vol, shift):
    shift_signup(actor=vol, shift=shift)
    overlapping = make_shift(shift.session, starts_at=shift.starts_at + H, role="检录")
    with pytest.raises(ValidationError) as exc:
        shift_signup(actor=vol, shift=overlapping)
    assert exc.value.code == "overlap"
    assert "补给站" in exc.value.messages[0]
    back_to_back = make_shift(shift.session, starts_at=shift.ends_at, role="收尾")
    shift_signup(actor=vol, shift=back_to_back)  # touching is not overlapping
    assert ShiftSignup.objects.filter(status="signed_up").count() == 2


def test_a_full_shift_is_refused(db, shift):
    a, b, c = make_volunteer("甲"), make_volunteer("乙"), make_volunteer("丙")
    shift_signup(actor=a, shift=shift)
    shift_signup(actor=b, shift=shift)
    with pytest.raises(ValidationError) as exc:
        shift_signup(actor=c, shift=shift)
    assert exc.value.code == "shift_full"


def test_past_and_cancelled_sessions_are_refused(vol, shift):
    with pytest.raises(ValidationError) as exc:
        shift_signup(actor=vol, shift=shift, now=shift.starts_at + M)
    assert exc.value.code == "shift_started"
    shift.session.cancelled = True
    shift.session.save()
    with pytest.raises(ValidationError) as exc:
        shift_signup(actor=vol, shift=Shift.objects.get(pk=shift.pk))
    assert exc.value.code == "session_cancelled"
    assert not ShiftSignup.objects.exists()


def test_check_in_window(vol, shift):
    signup = shift_signup(actor=vol, shift=shift)
    with pytest.raises(ValidationError) as exc:
        shift_check_in(actor=vol, signup=signup, now=shift.starts_at - H - M)
    assert exc.value.code == "too_early"
    with pytest.raises(ValidationError) as exc:
        shift_check_in(actor=vol, signup=signup, now=shift.ends_at + M)
    assert exc.value.code == "too_late"
    done = shift_check_in(actor=vol, signup=signup, now=shift.starts_at - H)
    assert done.checked_in_at == shift.starts_at - H
    with pytest.raises(ValidationError) as exc:
        shift_check_in(actor=vol, signup=signup, now=shift.starts_at)
    assert exc.value.code == "already_checked_in"
    assert timezone.localtime(done.checked_in_at).strftime("%H:%M") in exc.value.messages[0]
    with pytest.raises(ValidationError):
        shift_signup_cancel(actor=vol, signup=signup)  # checked in: too late to withdraw


@pytest.mark.parametrize(
    ("in_delta", "out_delta", "expected"),
    [
        (0, 120, "2.00"),  # the whole shift
        (-60, 150, "2.00"),  # early and late: capped by the shift length
        (10, 62, "0.75"),  # 52 minutes -> 0.75
        (0, 97, "1.50"),  # 97 minutes = 1.617 h -> 1.5
        (0, 98, "1.75"),  # 98 minutes = 1.633 h -> 1.75 (rounded to the nearest quarter)
    ],
)
def test_hours_maths(shift, in_delta, out_delta, expected):
    hours = shift_hours(
        shift=shift,
        checked_in_at=shift.starts_at + in_delta * M,
        checked_out_at=shift.starts_at + out_delta * M,
    )
    assert hours == Decimal(expected)


def test_check_out_credits_pending_hours_exactly_once(vol, shift):
    signup = shift_signup(actor=vol, shift=shift)
    with pytest.raises(ValidationError) as exc:
        shift_check_out(actor=vol, signup=signup, now=shift.starts_at)
    assert exc.value.code == "not_checked_in"
    shift_check_in(actor=vol, signup=signup, now=shift.starts_at - 5 * M)
    done = shift_check_out(actor=vol, signup=signup, now=shift.starts_at + 90 * M)
    entry = HoursEntry.objects.get()
    assert done.hours_entry == entry
    assert entry.hours == Decimal("1.50") and entry.status == HoursStatus.PENDING and not entry.flagged
    assert entry.source_key == f"events.shiftsignup:{signup.pk}"
    assert entry.date == timezone.localtime(shift.starts_at).date()
    assert "迷你马拉松" in entry.description and "补给站" in entry.description
    with pytest.raises(ValidationError) as exc:
        shift_check_out(actor=vol, signup=signup, now=shift.starts_at + 100 * M)
    assert exc.value.code == "already_checked_out"
    assert shifts_autoclose_due(now=shift.ends_at + 5 * H) == 0
    assert HoursEntry.objects.count() == 1


def test_a_very_short_stay_credits_nothing(vol, shift):
    signup = shift_signup(actor=vol, shift=shift)
    shift_check_in(actor=vol, signup=signup, now=shift.starts_at)
    done = shift_check_out(actor=vol, signup=signup, now=shift.starts_at + 5 * M)
    assert done.hours_entry is None and not HoursEntry.objects.exists()


def test_open_check_ins_are_closed_automatically_and_flagged(vol, shift):
    signup = shift_signup(actor=vol, shift=shift)
    shift_check_in(actor=vol, signup=signup, now=shift.starts_at + 30 * M)
    assert shifts_autoclose_due(now=shift.ends_at + 2 * H - M) == 0  # not yet: two hours' grace
    assert shifts_autoclose_due(now=shift.ends_at + 2 * H + M) == 1
    signup.refresh_from_db()
    assert signup.auto_closed and signup.checked_out_at == shift.ends_at
    entry = HoursEntry.objects.get()
    assert entry.flagged and entry.flag_reason and entry.hours == Decimal("1.50")
    assert entry.status == HoursStatus.PENDING
    assert shifts_autoclose_due(now=shift.ends_at + 3 * H) == 0  # safe to run twice
    assert HoursEntry.objects.count() == 1


def test_the_periodic_task_closes_them(vol, db):
    start = timezone.now() - 6 * H
    old = make_shift(SessionFactory(starts_at=start, ends_at=start + 3 * H), starts_at=start)
    signup = ShiftSignup.objects.create(
        shift=old, volunteer=vol.person.volunteer_profile, checked_in_at=start
    )
    assert autoclose_shifts.delay().get() == 1
    signup.refresh_from_db()
    assert signup.auto_closed


def test_another_volunteer_may_not_touch_her_signup(vol, shift, world):
    other = make_volunteer("王志愿")
    signup = shift_signup(actor=vol, shift=shift)
    for fn in (shift_check_in, shift_check_out, shift_signup_cancel):
        with pytest.raises(PermissionDenied):
            fn(actor=other, signup=signup, now=shift.starts_at)
    # staff who manage the activity may (e.g. check in a volunteer whose phone is flat)
    shift_check_in(actor=shift.session.activity.organiser_user, signup=signup, now=shift.starts_at)


# --- pages --------------------------------------------------------------------------------------------


def test_pages_404_for_another_volunteers_signup(client, vol, shift):
    signup = shift_signup(actor=vol, shift=shift)
    client.force_login(make_volunteer("王志愿"))
    for name in ("events:shift_check_in", "events:shift_check_out", "events:shift_signup_cancel"):
        assert client.post(reverse(name, args=[signup.pk])).status_code == 404
    signup.refresh_from_db()
    assert signup.checked_in_at is None and signup.status == "signed_up"


def test_shifts_page_journey(client, vol, db, django_assert_max_num_queries):
    start = timezone.now() + 30 * M
    shift = make_shift(SessionFactory(starts_at=start, ends_at=start + 3 * H), starts_at=start, slots=3)
    for _ in range(3):
        make_shift(shift.session, starts_at=start + 5 * H, role="其他")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(vol)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("events:shifts"))
    assert page.status_code == 200
    assert f'data-testid="shift-{shift.pk}"'.encode() in page.content
    assert "3 slots left" in page.content.decode()
    r = client.post(reverse("events:shift_signup", args=[shift.pk]))
    assert r.status_code == 302
    signup = ShiftSignup.objects.get(volunteer__person__user=vol)
    page = client.get(reverse("events:shifts")).content.decode()
    assert f'data-testid="signup-{signup.pk}"' in page and 'data-testid="check-in"' in page
    client.post(reverse("events:shift_check_in", args=[signup.pk]))
    twice = client.post(reverse("events:shift_check_in", args=[signup.pk]), follow=True)
    assert "You already checked in at" in twice.content.decode()
    client.post(reverse("events:shift_check_out", args=[signup.pk]))
    signup.refresh_from_db()
    assert signup.checked_in_at and signup.checked_out_at


def test_a_non_volunteer_sees_an_explanation(client, world):
    client.force_login(world.mum_user)
    page = client.get(reverse("events:shifts"))
    assert page.status_code == 200 and b"not-a-volunteer" in page.content


def test_staff_view_of_a_sessions_shifts(client, vol, shift, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    shift_signup(actor=vol, shift=shift)
    client.force_login(world.mum_user)
    assert client.get(reverse("events:session_shifts", args=[shift.session_id])).status_code == 404
    client.force_login(shift.session.activity.organiser_user)
    page = client.get(reverse("events:session_shifts", args=[shift.session_id]))
    assert page.status_code == 200
    assert "陈志愿" in page.content.decode() and "1 of 2 signed up" in page.content.decode()
    detail = client.get(reverse("events:detail", args=[shift.session.activity_id]))
    assert reverse("events:session_shifts", args=[shift.session_id]) in detail.content.decode()


def test_shift_admin_with_its_signups(client, vol, shift):
    shift_signup(actor=vol, shift=shift)
    admin_user = UserFactory(role=Role.COMMUNITY_STAFF, is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    assert client.get(reverse("admin:events_shift_changelist"), {"q": "补给"}).status_code == 200
    page = client.get(reverse("admin:events_shift_change", args=[shift.pk]))
    assert page.status_code == 200 and "陈志愿" in page.content.decode()
