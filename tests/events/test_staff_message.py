"""A message from staff to everyone booked on a session or an activity: once per family, once per request,
and the same text to the same place again within the window only when the sender confirms it."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from events.models import RegistrationScope, StaffMessage
from events.services.booking import booking_create, booking_create_on_behalf
from events.services.reminders import STAFF_MESSAGE_REPEAT_WINDOW, session_message_send
from events.services.sessions import session_cancel
from portal.accounts.models import Role
from portal.notify.models import Message
from tests.accounts.factories import UserFactory

from .factories import ActivityFactory, OrganizationFactory, SessionFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def notices(**filters):
    return Message.objects.filter(template__code="staff.notice", **filters)


@pytest.fixture
def booked(world, fcfs):
    """Five seats: mum booked her two children, dad himself and his son, staff booked granny for her."""
    fcfs.session.capacity = 5
    fcfs.session.save()
    booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.dad, world.kid]
    )
    booking_create_on_behalf(
        staff=world.staff, activity=fcfs.activity, session=fcfs.session, persons=[world.granny]
    )
    return fcfs


def test_staff_tell_everyone_booked_on_a_session_once_per_family(world, booked):
    n = session_message_send(
        actor=world.staff, session=booked.session, text="请自带围裙，下午两点在二楼集合。"
    )
    assert n == 3  # mum (for both children), dad, granny on her own phone
    sm = StaffMessage.objects.get()
    assert (sm.sent_by, sm.session, sm.activity, sm.recipients) == (
        world.staff,
        booked.session,
        booked.activity,
        3,
    )
    mum = notices(user=world.mum_user, channel="inbox").get()
    assert mum.key == f"events.staff_message:{sm.pk}:user:{world.mum_user.pk}:inbox"
    assert "请自带围裙" in mum.body and "亲子烘焙" in mum.subject
    assert notices(user=world.dad_user, channel="inbox").count() == 1
    assert notices(person=world.granny, channel="sms").get().address == "+8613700001111"
    assert not notices(user=world.staff).exists()


def test_the_waitlist_is_told_only_when_asked(world, booked):
    # the session is full: the stranger waits, and is told only when the waitlist is included
    booking_create(
        actor=world.stranger_user, activity=booked.activity, session=booked.session, persons=[world.stranger]
    )
    assert session_message_send(actor=world.staff, session=booked.session, text="通知") == 3
    assert not notices(user=world.stranger_user).exists()
    assert (
        session_message_send(
            actor=world.staff, session=booked.session, text="候补也请留意", include_waitlist=True
        )
        == 4
    )
    assert notices(user=world.stranger_user, channel="inbox").count() == 1


def test_only_staff_who_manage_the_activity_may_send(world, booked):
    with pytest.raises(PermissionDenied):
        session_message_send(actor=world.mum_user, session=booked.session, text="hi")
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory())
    with pytest.raises(PermissionDenied):
        session_message_send(actor=partner, session=booked.session, text="hi")
    other_org_activity = ActivityFactory(organiser_user=None, organiser_org=partner.organization)
    session = SessionFactory(activity=other_org_activity)
    booking_create(actor=world.mum_user, activity=other_org_activity, session=session, persons=[world.mum])
    assert session_message_send(actor=partner, session=session, text="明天见") == 1
    assert StaffMessage.objects.count() == 1
    assert not notices(user=world.dad_user).exists()


def test_the_same_request_sends_nothing_twice(world, booked):
    assert (
        session_message_send(
            actor=world.staff, session=booked.session, text="改到三楼", request_key="form-token-1"
        )
        == 3
    )
    count = Message.objects.count()
    assert (
        session_message_send(
            actor=world.staff, session=booked.session, text="改到三楼", request_key="form-token-1"
        )
        == 3
    )
    assert Message.objects.count() == count
    assert StaffMessage.objects.count() == 1
    # a new request is a new message, with its own keys (the same text again: once confirmed)
    session_message_send(
        actor=world.staff,
        session=booked.session,
        text="改到三楼",
        request_key="form-token-2",
        confirm_repeat=True,
    )
    assert StaffMessage.objects.count() == 2
    assert notices(user=world.mum_user, channel="inbox").count() == 2


def test_bad_input_is_refused_with_a_reason_and_nothing_saved(world, booked):
    with pytest.raises(ValidationError) as exc:
        session_message_send(actor=world.staff, session=booked.session, text="   ")
    assert "text" in exc.value.message_dict
    with pytest.raises(ValidationError, match="500 characters"):
        session_message_send(actor=world.staff, session=booked.session, text="长" * 501)
    other = ActivityFactory(organiser_user=world.staff)
    with pytest.raises(ValidationError, match="another activity"):
        session_message_send(actor=world.staff, session=booked.session, activity=other, text="hi")
    empty = SessionFactory(activity=other)
    with pytest.raises(ValidationError, match="Nobody is booked"):
        session_message_send(actor=world.staff, session=empty, text="hi")
    assert not StaffMessage.objects.exists() and not notices().exists()


def test_a_message_to_the_whole_activity_reaches_every_upcoming_session_but_not_cancelled_ones(world, fcfs):
    second = SessionFactory(activity=fcfs.activity)
    third = SessionFactory(activity=fcfs.activity)
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=second, persons=[world.daughter])
    booking_create(actor=world.dad_user, activity=fcfs.activity, session=third, persons=[world.kid])
    session_cancel(actor=world.staff, session=third)
    assert (
        session_message_send(actor=world.staff, activity=fcfs.activity, text="本月活动照片已上传") == 1
    )  # mum, once
    sm = StaffMessage.objects.get()
    assert sm.session is None and sm.recipients == 1
    assert not notices(user=world.dad_user).exists()


def test_a_course_message_reaches_the_course(world):
    course = ActivityFactory(
        organiser_user=world.staff, registration_scope=RegistrationScope.COURSE, capacity=10
    )
    meeting = SessionFactory(activity=course)
    booking_create(actor=world.mum_user, activity=course, persons=[world.mum])
    assert session_message_send(actor=world.staff, session=meeting, text="本周改在二楼") == 1
    assert session_message_send(actor=world.staff, activity=course, text="下周停课") == 1


# --- the same message again within the window (issue 8: a reload after an error page, 10 got 20 SMS) ----


def _repeat_error(exc: pytest.ExceptionInfo) -> ValidationError:
    (error,) = exc.value.error_dict["text"]
    assert error.code == "repeat"
    return error


def _sent_at(message: StaffMessage) -> str:
    return timezone.localtime(message.created_at, SHANGHAI).strftime("%H:%M")


def test_the_same_text_again_is_refused_saying_when_and_to_how_many(world, booked):
    first = session_message_send(
        actor=world.staff, session=booked.session, text="请带围裙，\n两点在二楼集合。", request_key="k1"
    )
    assert first == 3
    count = Message.objects.count()
    # a reloaded form has a new key; the text differs only in its whitespace
    with pytest.raises(ValidationError) as exc:
        session_message_send(
            actor=world.staff,
            session=booked.session,
            text="  请带围裙， 两点在二楼集合。 ",
            request_key="k2",
        )
    error = _repeat_error(exc)
    sent = StaffMessage.objects.get()
    assert error.params == {"when": _sent_at(sent), "n": 3}
    assert exc.value.messages == [
        f"This message was already sent at {_sent_at(sent)} to 3 people. Send it again?"
    ]
    assert StaffMessage.objects.count() == 1
    assert Message.objects.count() == count


def test_confirming_sends_it_again_and_a_double_submit_of_the_confirmation_sends_once(world, booked):
    session_message_send(actor=world.staff, session=booked.session, text="改到三楼", request_key="k1")
    with pytest.raises(ValidationError) as exc:
        session_message_send(actor=world.staff, session=booked.session, text="改到三楼", request_key="k2")
    _repeat_error(exc)
    for _tap in range(2):
        assert (
            session_message_send(
                actor=world.staff,
                session=booked.session,
                text="改到三楼",
                request_key="k2",
                confirm_repeat=True,
            )
            == 3
        )
    assert StaffMessage.objects.count() == 2
    assert notices(user=world.mum_user, channel="inbox").count() == 2
    assert notices(person=world.granny, channel="sms").count() == 2


def test_the_same_key_still_returns_the_first_count_rather_than_asking(world, booked):
    assert (
        session_message_send(actor=world.staff, session=booked.session, text="改到三楼", request_key="k1")
        == 3
    )
    count = Message.objects.count()
    assert (
        session_message_send(actor=world.staff, session=booked.session, text="改到三楼", request_key="k1")
        == 3
    )
    assert StaffMessage.objects.count() == 1
    assert Message.objects.count() == count


def test_a_different_text_is_sent_at_once(world, booked):
    session_message_send(actor=world.staff, session=booked.session, text="改到三楼", request_key="k1")
    assert (
        session_message_send(actor=world.staff, session=booked.session, text="改到四楼", request_key="k2")
        == 3
    )
    assert StaffMessage.objects.count() == 2


def test_after_the_window_the_same_text_is_sent_without_asking(world, booked):
    session_message_send(actor=world.staff, session=booked.session, text="改到三楼", request_key="k1")
    sent = StaffMessage.objects.get().created_at
    with pytest.raises(ValidationError) as exc:
        session_message_send(
            actor=world.staff,
            session=booked.session,
            text="改到三楼",
            request_key="k2",
            now=sent + STAFF_MESSAGE_REPEAT_WINDOW - datetime.timedelta(minutes=1),
        )
    _repeat_error(exc)
    assert (
        session_message_send(
            actor=world.staff,
            session=booked.session,
            text="改到三楼",
            request_key="k3",
            now=sent + STAFF_MESSAGE_REPEAT_WINDOW + datetime.timedelta(seconds=1),
        )
        == 3
    )
    assert StaffMessage.objects.count() == 2


def test_sent_yesterday_evening_the_question_gives_the_date(world, booked):
    session_message_send(actor=world.staff, session=booked.session, text="改到三楼", request_key="k1")
    midnight = datetime.datetime.combine(timezone.localdate(), datetime.time(0, 0), tzinfo=SHANGHAI)
    StaffMessage.objects.update(created_at=midnight - datetime.timedelta(minutes=10))
    with pytest.raises(ValidationError) as exc:
        session_message_send(
            actor=world.staff,
            session=booked.session,
            text="改到三楼",
            request_key="k2",
            now=midnight + datetime.timedelta(minutes=10),
        )
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert _repeat_error(exc).params["when"] == f"{yesterday:%Y-%m-%d} 23:50"


def test_the_same_text_to_another_session_or_the_whole_activity_is_sent(world, booked):
    session_message_send(actor=world.staff, session=booked.session, text="请带水杯", request_key="k1")
    second = SessionFactory(activity=booked.activity)
    booking_create(
        actor=world.stranger_user, activity=booked.activity, session=second, persons=[world.stranger]
    )
    assert session_message_send(actor=world.staff, session=second, text="请带水杯", request_key="k2") == 1
    assert (
        session_message_send(actor=world.staff, activity=booked.activity, text="请带水杯", request_key="k3")
        == 4
    )
    with pytest.raises(ValidationError) as exc:
        session_message_send(actor=world.staff, activity=booked.activity, text="请带水杯", request_key="k4")
    _repeat_error(exc)
    assert StaffMessage.objects.count() == 3


def test_a_course_is_one_place_whichever_meeting_the_message_was_sent_from(world):
    course = ActivityFactory(
        organiser_user=world.staff, registration_scope=RegistrationScope.COURSE, capacity=10
    )
    first, second = SessionFactory(activity=course), SessionFactory(activity=course)
    booking_create(actor=world.mum_user, activity=course, persons=[world.mum])
    assert session_message_send(actor=world.staff, session=first, text="本周改在二楼", request_key="k1") == 1
    for target in ({"session": second}, {"activity": course}):
        with pytest.raises(ValidationError) as exc:
            session_message_send(actor=world.staff, text="本周改在二楼", request_key="k2", **target)
        _repeat_error(exc)
    assert StaffMessage.objects.count() == 1


def test_whether_the_waitlist_is_included_does_not_make_it_another_message(world, booked):
    """Those booked heard it the first time: telling the waitlist too would tell them twice, so it asks."""
    session_message_send(actor=world.staff, session=booked.session, text="改到三楼", request_key="k1")
    with pytest.raises(ValidationError) as exc:
        session_message_send(
            actor=world.staff,
            session=booked.session,
            text="改到三楼",
            request_key="k2",
            include_waitlist=True,
        )
    _repeat_error(exc)


def _session_with_families(staff, n: int, phone_base: int):
    from tests.community.factories import HouseholdFactory, PersonFactory

    activity = ActivityFactory(organiser_user=staff)
    session = SessionFactory(activity=activity, capacity=50)
    for i in range(n):
        person = PersonFactory(household=HouseholdFactory(), phone=f"+86137{phone_base + i:08d}")
        booking_create_on_behalf(staff=staff, activity=activity, session=session, persons=[person])
    return session


def test_a_message_to_many_families_takes_no_more_queries_than_to_a_few(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    # the first send warms what is looked up once per process (content types); then 3 and 12 families
    for n, base in ((1, 500), (3, 1000), (12, 2000)):
        session = _session_with_families(world.staff, n, base)
        with CaptureQueriesContext(connection) as queries:
            assert session_message_send(actor=world.staff, session=session, text=f"通知 {n}") == n
        counts.append(len(queries))
    assert counts[1] == counts[2], counts
