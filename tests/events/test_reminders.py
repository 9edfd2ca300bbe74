"""Reminders before each session: rows with due times, found by the scan, sent exactly once after commit."""

import datetime
import importlib
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext

from events.models import Registration, RegistrationScope, Reminder, ReminderRule, ReminderState
from events.services import reminders as rem
from events.services.booking import booking_create, booking_create_on_behalf, registration_cancel
from events.services.sessions import session_cancel
from events.services.waitlist import offer_accept, waitlist_promote_next
from events.tasks import send_due_reminders
from portal.accounts.models import User
from portal.accounts.sms import LocmemSMSBackend
from portal.community.models import Person
from portal.notify.models import ContactPreference, Message, MessageTemplate

from .factories import ActivityFactory, SessionFactory, in_days

SH = ZoneInfo("Asia/Shanghai")
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)


def ensure_reminder_template():
    """A flushed database (transactional tests) has lost the data migration's rows: put them back."""
    migration = importlib.import_module("events.migrations.0005_reminder_template")
    for data in migration.TEMPLATES:
        MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)


@pytest.fixture(autouse=True)
def _templates(db):
    ensure_reminder_template()


@pytest.fixture
def afternoon(world):
    """A session at 15:00 a week from now (daytime, so no night moves), 3 seats and a waitlist."""
    activity = ActivityFactory(organiser_user=world.staff, title="亲子烘焙", place="永兴社区活动室")
    session = SessionFactory(
        activity=activity, capacity=3, starts_at=in_days(7, hour=15), place="二楼烘焙教室"
    )
    return activity, session


def reminder_messages(**filters):
    return Message.objects.filter(template__code="events.reminder", **filters)


# --- lead times and due times -----------------------------------------------------------------------


def test_a_booking_gets_the_default_reminders_the_day_before_and_two_hours_before(world, afternoon):
    activity, session = afternoon
    booking = booking_create(
        actor=world.mum_user, activity=activity, session=session, persons=[world.son, world.daughter]
    )
    assert rem.reminders_schedule_for(registration=booking.registrations.first()) == 2
    rows = {r.lead_minutes: r for r in Reminder.objects.filter(booking=booking)}
    assert set(rows) == {1440, 120}
    assert rows[1440].due_at == session.starts_at - datetime.timedelta(days=1)
    assert rows[120].due_at == session.starts_at - 2 * HOUR
    assert all(r.state == ReminderState.PENDING for r in rows.values())
    # one row per booking, session and lead: scheduling again adds nothing
    rem.reminders_schedule_for(booking=booking)
    assert Reminder.objects.filter(booking=booking).count() == 2


def test_the_activity_sets_its_own_lead_times(world, afternoon):
    activity, session = afternoon
    booking = booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    rem.reminders_schedule_for(booking=booking)
    with pytest.raises(PermissionDenied):
        rem.reminder_rules_set(actor=world.mum_user, activity=activity, lead_minutes=[60])
    with pytest.raises(ValidationError, match="between 10 minutes and 14 days"):
        rem.reminder_rules_set(actor=world.staff, activity=activity, lead_minutes=[5])
    with pytest.raises(ValidationError, match="between 10 minutes and 14 days"):
        rem.reminder_rules_set(actor=world.staff, activity=activity, lead_minutes=["two hours"])
    rem.reminder_rules_set(actor=world.staff, activity=activity, lead_minutes=[2 * 1440, 60, 60])
    assert rem.reminder_leads(activity=activity) == [2880, 60]
    states = dict(Reminder.objects.filter(booking=booking).values_list("lead_minutes", "state"))
    assert states == {1440: "cancelled", 120: "cancelled", 2880: "pending", 60: "pending"}
    # back to the default
    rem.reminder_rules_set(actor=world.staff, activity=activity, lead_minutes=[])
    assert not ReminderRule.objects.filter(activity=activity).exists()
    assert rem.reminder_leads(activity=activity) == [1440, 120]


def test_a_reminder_never_falls_in_the_night():
    day = datetime.date(2026, 10, 18)
    start = datetime.datetime.combine(day, datetime.time(7, 30), tzinfo=SH)  # the marathon start
    # two hours before is 05:30: moved to 20:00 the evening before (08:00 would be too late)
    assert rem.reminder_due_at(starts_at=start, lead_minutes=120) == datetime.datetime(
        2026, 10, 17, 20, 0, tzinfo=SH
    )
    # the day before at 07:30 is in the night: 08:00 that morning still leaves most of the day
    assert rem.reminder_due_at(starts_at=start, lead_minutes=1440) == datetime.datetime(
        2026, 10, 17, 8, 0, tzinfo=SH
    )
    # late evening session: two hours before 22:30 is 20:30, fine as it is
    late = datetime.datetime.combine(day, datetime.time(22, 30), tzinfo=SH)
    assert rem.reminder_due_at(starts_at=late, lead_minutes=120) == late - 2 * HOUR
    # an hour before 21:30 would be fine; two hours before 23:00 is 21:00 -> 20:00
    assert rem.reminder_due_at(
        starts_at=datetime.datetime.combine(day, datetime.time(23), tzinfo=SH), lead_minutes=120
    ) == (datetime.datetime(2026, 10, 18, 20, 0, tzinfo=SH))


# --- the scan ---------------------------------------------------------------------------------------


def test_the_scan_creates_the_rows_a_booking_path_missed(world, afternoon):
    activity, session = afternoon
    b1 = booking_create(
        actor=world.mum_user, activity=activity, session=session, persons=[world.son, world.daughter]
    )
    b2 = booking_create(
        actor=world.dad_user, activity=activity, session=session, persons=[world.dad, world.kid]
    )
    # dad's son waits: only confirmed persons count, and the booking is confirmed (dad holds the seat)
    far = SessionFactory(activity=activity, starts_at=in_days(30, hour=15))
    b3 = booking_create(actor=world.mum_user, activity=activity, session=far, persons=[world.mum])
    assert {b for (b,) in Reminder.objects.values_list("booking_id")} == {
        b1.pk,
        b2.pk,
        b3.pk,
    }  # made at booking time
    Reminder.objects.all().delete()  # e.g. confirmed in the admin, or booked before rows were made at booking time
    rem.reminders_fill()  # a week ahead: not yet
    assert not Reminder.objects.exists()
    rem.reminders_fill(now=session.starts_at - 36 * HOUR)
    assert set(Reminder.objects.values_list("booking_id", "lead_minutes")) == {
        (b1.pk, 1440),
        (b1.pk, 120),
        (b2.pk, 1440),
        (b2.pk, 120),
    }
    rem.reminders_fill(now=session.starts_at - 30 * HOUR)
    assert Reminder.objects.count() == 4  # ON CONFLICT DO NOTHING, and pairs already there are left alone


def test_due_scan_sends_once_and_a_second_run_sends_nothing(world, afternoon):
    activity, session = afternoon
    booking = booking_create(
        actor=world.mum_user, activity=activity, session=session, persons=[world.son, world.daughter]
    )
    now = session.starts_at - 2 * HOUR + MINUTE
    assert rem.reminders_scan(now=now) == 1  # the 24 h one was due too, but the 2 h one replaces it
    rows = dict(Reminder.objects.filter(booking=booking).values_list("lead_minutes", "state"))
    assert rows == {1440: "skipped", 120: "sent"}
    reminder = Reminder.objects.get(booking=booking, lead_minutes=120)
    inbox = reminder_messages(user=world.mum_user, channel="inbox").get()
    assert inbox.key == f"events.reminder:{reminder.pk}:user:{world.mum_user.pk}:inbox"
    assert (
        "亲子烘焙" in inbox.body
        and "二楼烘焙教室" in inbox.body
        and "张小明" in inbox.body
        and "张小红" in inbox.body
    )
    assert timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M") in inbox.body
    assert "居委会" in inbox.body  # how to cancel
    assert reminder_messages(user=world.mum_user, channel="sms").count() == 1
    count = Message.objects.count()
    assert rem.reminders_scan(now=now) == 0
    assert rem.reminders_scan(now=now + 10 * MINUTE) == 0
    assert Message.objects.count() == count


def test_the_day_before_reminder_tells_how_to_cancel_online_until_the_deadline(world, afternoon):
    activity, session = afternoon
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    activity.cancel_hours_before = 12
    activity.save()
    assert rem.reminders_scan(now=session.starts_at - 24 * HOUR + MINUTE) == 1
    body = reminder_messages(user=world.mum_user, channel="inbox").get().body
    # the deadline in the recipient's language (events.deadline; midnight would read 24:00 the day before)
    from django.utils import translation

    from events.deadline import deadline_text

    with translation.override("zh-hans"):
        deadline = deadline_text(session.starts_at - 12 * HOUR)
    assert f"请在{deadline}前登录平台" in body


def test_english_reminder_for_an_english_speaking_user(world, afternoon):
    activity, session = afternoon
    world.dad_user.language = "en"
    world.dad_user.save()
    booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.kid])
    rem.reminders_scan(now=session.starts_at - 2 * HOUR + MINUTE)
    msg = reminder_messages(user=world.dad_user, channel="inbox").get()
    assert msg.subject.startswith("Reminder: 亲子烘焙") and "tell the neighbourhood committee" in msg.body


def test_a_cancelled_registration_gets_no_reminder(world, afternoon):
    activity, session = afternoon
    booking = booking_create(
        actor=world.mum_user, activity=activity, session=session, persons=[world.son, world.daughter]
    )
    rem.reminders_schedule_for(booking=booking)
    early = session.starts_at - 3 * 24 * HOUR
    son_reg = booking.registrations.get(person=world.son)
    registration_cancel(actor=world.mum_user, registration=son_reg, now=early)
    rem.reminders_scan(now=session.starts_at - 2 * HOUR + MINUTE)
    body = reminder_messages(user=world.mum_user, channel="inbox").get().body
    assert "张小红" in body and "张小明" not in body  # only who is still booked is named

    booking2 = booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.kid])
    rem.reminders_schedule_for(booking=booking2)
    registration_cancel(actor=world.dad_user, registration=booking2.registrations.get(), now=early)
    rem.reminders_cancel_for(booking=booking2)
    assert set(Reminder.objects.filter(booking=booking2).values_list("state", flat=True)) == {"cancelled"}
    rem.reminders_scan(now=session.starts_at - HOUR)
    assert not reminder_messages(user=world.dad_user).exists()


def test_the_scan_cancels_reminders_of_a_booking_nobody_is_left_on(world, afternoon):
    activity, session = afternoon
    booking = booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.kid])
    rem.reminders_schedule_for(booking=booking)
    Registration.objects.filter(booking=booking).update(status="cancelled")  # e.g. cancelled in the admin
    assert rem.reminders_scan(now=session.starts_at - 2 * HOUR + MINUTE) == 0
    assert set(Reminder.objects.filter(booking=booking).values_list("reason", flat=True)) <= {
        "nobody confirmed",
        "a later reminder is due as well",
    }
    assert Reminder.objects.get(booking=booking, lead_minutes=120).state == "cancelled"
    assert not reminder_messages().exists()


def test_a_cancelled_session_sends_the_cancellation_and_no_reminder(world, afternoon):
    activity, session = afternoon
    booking_create(
        actor=world.mum_user, activity=activity, session=session, persons=[world.son, world.daughter]
    )
    booking_create(
        actor=world.dad_user, activity=activity, session=session, persons=[world.dad, world.kid]
    )  # kid waits
    rem.reminders_fill(now=session.starts_at - 36 * HOUR)
    session_cancel(actor=world.staff, session=session, reason="台风")
    assert rem.reminders_scan(now=session.starts_at - 2 * HOUR + MINUTE) == 0
    assert set(Reminder.objects.values_list("state", flat=True)) == {"cancelled"}
    assert not reminder_messages().exists()
    # everyone booked is told, the waiting too
    told = set(
        Message.objects.filter(template__code="events.session_cancelled", channel="inbox").values_list(
            "user_id", flat=True
        )
    )
    assert told == {world.mum_user.pk, world.dad_user.pk}
    assert (
        "王小宝"
        in Message.objects.get(
            user=world.dad_user, channel="inbox", template__code="events.session_cancelled"
        ).body
    )


def test_an_open_offer_is_withdrawn_and_its_holder_told_when_the_session_is_cancelled(world, afternoon):
    activity, session = afternoon
    first = booking_create(
        actor=world.mum_user,
        activity=activity,
        session=session,
        persons=[world.son, world.daughter, world.mum],
    )
    booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.kid])
    Registration.objects.filter(booking=first, person=world.mum).update(status="cancelled")
    [offer] = waitlist_promote_next(activity=activity, session=session)
    session_cancel(actor=world.staff, session=session)
    offer.refresh_from_db()
    assert offer.status == "withdrawn"
    assert Message.objects.filter(
        user=world.dad_user, template__code="events.session_cancelled", channel="inbox"
    ).exists()


def test_booked_after_the_reminder_was_due_no_late_reminder(world):
    activity = ActivityFactory(organiser_user=world.staff)
    session = SessionFactory(activity=activity, starts_at=timezone.now() + HOUR)
    booking = booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    rem.reminders_schedule_for(booking=booking)
    assert set(Reminder.objects.filter(booking=booking).values_list("state", flat=True)) == {"skipped"}
    assert rem.reminders_scan() == 0
    assert not reminder_messages().exists()


def test_a_waitlisted_person_is_reminded_once_she_has_accepted_an_offer(world, afternoon):
    activity, session = afternoon
    first = booking_create(
        actor=world.mum_user,
        activity=activity,
        session=session,
        persons=[world.son, world.daughter, world.mum],
    )
    waiting = booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.kid])
    rem.reminders_fill(now=session.starts_at - 36 * HOUR)
    assert not Reminder.objects.filter(booking=waiting).exists()
    registration_cancel(actor=world.mum_user, registration=first.registrations.get(person=world.mum))
    offer = waiting.offers.get()
    offer_accept(actor=world.dad_user, offer=offer)
    rem.reminders_fill(now=session.starts_at - 36 * HOUR)
    assert Reminder.objects.filter(booking=waiting, state="pending").count() == 2
    rem.reminders_scan(now=session.starts_at - 2 * HOUR + MINUTE)
    assert reminder_messages(user=world.dad_user, channel="inbox").exists()


def test_quiet_hours_hold_the_sms_but_not_the_inbox(world, afternoon):
    activity, session = afternoon
    ContactPreference.objects.create(
        user=world.mum_user, quiet_start=datetime.time(12), quiet_end=datetime.time(14)
    )
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    now = session.starts_at - 2 * HOUR + MINUTE  # 13:01, inside her quiet hours
    rem.reminders_scan(now=now)
    sms = reminder_messages(user=world.mum_user, channel="sms").get()
    assert sms.not_before == timezone.localtime(session.starts_at).replace(hour=14, minute=0)
    inbox = reminder_messages(user=world.mum_user, channel="inbox").get()
    assert inbox.not_before == now


def test_a_resident_booked_by_staff_is_reminded_on_her_own_phone(world, afternoon):
    activity, session = afternoon
    booking_create_on_behalf(staff=world.staff, activity=activity, session=session, persons=[world.granny])
    rem.reminders_scan(now=session.starts_at - 24 * HOUR + MINUTE)
    sms = reminder_messages(person=world.granny, channel="sms").get()
    assert sms.address == "+8613700001111" and "李秀英" in sms.body
    assert not reminder_messages(user=world.staff).exists()


def test_each_meeting_of_a_course_is_reminded(world):
    course = ActivityFactory(
        organiser_user=world.staff,
        title="周二戏曲班",
        registration_scope=RegistrationScope.COURSE,
        capacity=10,
    )
    s1 = SessionFactory(activity=course, starts_at=in_days(7, hour=9))
    s2 = SessionFactory(activity=course, starts_at=in_days(14, hour=9))
    booking_create(actor=world.mum_user, activity=course, persons=[world.mum])
    assert Reminder.objects.filter(session__in=[s1, s2]).count() == 4  # every meeting, at booking time
    Reminder.objects.all().delete()  # the scan's safety net makes them too, as each meeting comes near
    rem.reminders_fill(now=s1.starts_at - 36 * HOUR)
    assert (
        Reminder.objects.filter(session=s1).count() == 2 and not Reminder.objects.filter(session=s2).exists()
    )
    rem.reminders_fill(now=s2.starts_at - 36 * HOUR)
    assert Reminder.objects.filter(session=s2).count() == 2
    assert rem.reminders_scan(now=s2.starts_at - 2 * HOUR + MINUTE) == 1
    msg = reminder_messages(user=world.mum_user, channel="inbox").get()
    assert timezone.localtime(s2.starts_at).strftime("%Y-%m-%d %H:%M") in msg.body


def test_the_periodic_task_runs(world):
    assert send_due_reminders.delay().get() == 0


def test_an_unknown_template_sends_nothing_and_the_row_is_still_settled(world, afternoon):
    activity, session = afternoon
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    MessageTemplate.objects.filter(code="events.reminder").update(active=False)
    rem.reminders_scan(now=session.starts_at - 2 * HOUR + MINUTE)
    assert not reminder_messages().exists()
    assert Reminder.objects.get(lead_minutes=120).state == "sent"  # the outbox logs the inactive template


# --- concurrency on PostgreSQL -----------------------------------------------------------------------

BOOKINGS = 60
SCANS = 8


def _due_now_world():
    """BOOKINGS residents booked a session starting within the hour, long before the reminders were due."""
    activity = ActivityFactory(booking_closes_at=timezone.now() + 30 * MINUTE)
    session = SessionFactory(activity=activity, capacity=BOOKINGS, starts_at=timezone.now() + HOUR)
    start = User.objects.count()
    users = User.objects.bulk_create(
        [User(phone=f"+86136{start + i:08d}", name=f"居民{start + i}", password="!") for i in range(BOOKINGS)]
    )
    people = Person.objects.bulk_create([Person(name=u.name, user=u) for u in users])
    for user, person in zip(users, people, strict=True):
        booking_create(actor=user, activity=activity, session=session, persons=[person])
    Registration.objects.filter(session=session).update(updated_at=timezone.now() - 3 * 24 * HOUR)
    # The rows made at booking time saw bookings made now, after the reminders were due (skipped);
    # this world pretends they were made three days ago: the scan makes the rows again.
    Reminder.objects.filter(session=session).delete()
    rem.reminders_fill()
    assert Reminder.objects.filter(session=session, lead_minutes=120, state="pending").count() == BOOKINGS
    return session


def _scan_concurrently(n=SCANS):
    barrier = threading.Barrier(n)
    results, errors = [], []
    guard = threading.Lock()

    def worker():
        try:
            barrier.wait()
            sent = rem.reminders_send_due(batch_size=7)
            with guard:
                results.append(sent)
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            with guard:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_send_each_reminder_exactly_once():
    ensure_reminder_template()
    session = _due_now_world()
    LocmemSMSBackend.outbox.clear()
    results, errors = _scan_concurrently()
    assert not errors, errors
    assert sum(results) == BOOKINGS, results  # every reminder claimed by exactly one scan
    assert len([r for r in results if r]) > 1, "the scans should have shared the work"
    assert Reminder.objects.filter(session=session, lead_minutes=120, state="sent").count() == BOOKINGS
    assert reminder_messages(channel="inbox").count() == BOOKINGS
    phones = [m["phone"] for m in LocmemSMSBackend.outbox]
    assert len(phones) == len(set(phones)) == BOOKINGS, "each SMS sent once"
    # and again: nothing more
    results, errors = _scan_concurrently(4)
    assert not errors and sum(results) == 0
    assert reminder_messages().count() == 2 * BOOKINGS


# --- the back office ----------------------------------------------------------------------------------


def test_admin_pages_open_and_lead_times_edited_there_reschedule(client, world, afternoon):
    from django.urls import reverse

    activity, session = afternoon
    world.staff.is_staff = world.staff.is_superuser = True
    world.staff.save()
    client.force_login(world.staff)
    booking = booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    rem.reminders_schedule_for(booking=booking)
    rem.session_message_send(actor=world.staff, session=session, text="请带围裙")
    for model in ("reminder", "reminderrule", "staffmessage"):
        url = reverse(f"admin:events_{model}_changelist")
        assert client.get(url).status_code == 200, model
        assert client.get(url, {"q": "烘焙"}).status_code == 200, model
    reminder = Reminder.objects.get(lead_minutes=1440)
    assert client.get(reverse("admin:events_reminder_change", args=[reminder.pk])).status_code == 200
    response = client.post(
        reverse("admin:events_reminder_changelist"),
        {"action": "cancel_pending", "_selected_action": [reminder.pk]},
    )
    assert response.status_code == 302
    reminder.refresh_from_db()
    assert reminder.state == "cancelled"
    response = client.post(
        reverse("admin:events_reminderrule_add"), {"activity": activity.pk, "lead_minutes": 30}
    )
    assert response.status_code == 302
    assert Reminder.objects.filter(booking=booking, lead_minutes=30, state="pending").exists()
    # with a rule set, the default lead times are no longer wanted
    assert Reminder.objects.get(booking=booking, lead_minutes=120).state == "cancelled"
    response = client.post(
        reverse("admin:events_reminderrule_add"), {"activity": activity.pk, "lead_minutes": 5}
    )
    assert response.status_code == 200
    assert (
        gettext("A reminder is sent between 10 minutes and 14 days before the start.")
        in response.content.decode()
    )


def test_a_broken_template_skips_the_reminder_with_the_reason_and_the_scan_goes_on(world, afternoon):
    activity, session = afternoon
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    booking_create_on_behalf(staff=world.staff, activity=activity, session=session, persons=[world.granny])
    MessageTemplate.objects.filter(code="events.reminder").update(body_zh="{% if %}", body_en="{% if %}")
    assert rem.reminders_scan(now=session.starts_at - 2 * HOUR + MINUTE) == 0
    reasons = set(Reminder.objects.filter(lead_minutes=120).values_list("state", "reason"))
    assert {state for state, _reason in reasons} == {"skipped"}
    assert all(reason.startswith("error:") for _state, reason in reasons)
    assert not reminder_messages().exists()


# --- rows made at booking time ------------------------------------------------------------------------


def test_a_booking_with_a_seat_has_its_reminders_at_once_and_a_waiting_one_has_none(world, afternoon):
    activity, session = afternoon
    seated = booking_create(
        actor=world.mum_user,
        activity=activity,
        session=session,
        persons=[world.son, world.daughter, world.mum],
    )
    waiting = booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.kid])
    rows = Reminder.objects.filter(booking=seated)
    assert {(r.lead_minutes, r.state) for r in rows} == {(1440, "pending"), (120, "pending")}
    assert {r.due_at for r in rows} == {
        session.starts_at - datetime.timedelta(days=1),
        session.starts_at - 2 * HOUR,
    }
    assert not Reminder.objects.filter(booking=waiting).exists()
    # the scan finds nothing to add
    rem.reminders_fill(now=session.starts_at - 30 * HOUR)
    assert Reminder.objects.count() == 2


def test_a_refused_booking_leaves_no_reminder_rows(world, afternoon):
    activity, session = afternoon
    with pytest.raises(PermissionDenied):
        booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.son])
    assert not Reminder.objects.exists()


def test_an_accepted_offer_schedules_the_reminders_in_the_same_transaction(world, afternoon):
    activity, session = afternoon
    first = booking_create(
        actor=world.mum_user,
        activity=activity,
        session=session,
        persons=[world.son, world.daughter, world.mum],
    )
    waiting = booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.kid])
    registration_cancel(actor=world.mum_user, registration=first.registrations.get(person=world.mum))
    offer = waiting.offers.get()
    assert not Reminder.objects.filter(booking=waiting).exists()  # an offer is not a seat yet
    offer_accept(actor=world.dad_user, offer=offer)
    assert Reminder.objects.filter(booking=waiting, state="pending").count() == 2


def test_lottery_winners_get_reminders_and_the_others_none(world):
    from events.models import AllocationMode
    from events.services.lottery import lottery_draw
    from tests.community.factories import HouseholdFactory, PersonFactory, UserFactory

    activity = ActivityFactory(
        organiser_user=world.staff, title="暑托班", allocation=AllocationMode.LOTTERY, capacity=2
    )
    session = SessionFactory(activity=activity, capacity=2, starts_at=in_days(7, hour=15))
    bookings = []
    for _i in range(4):
        user = UserFactory()
        person = PersonFactory(user=user, household=HouseholdFactory())
        bookings.append(booking_create(actor=user, activity=activity, session=session, persons=[person]))
    assert not Reminder.objects.exists()  # applications are not seats
    activity.booking_opens_at, activity.booking_closes_at = in_days(-3), in_days(-1)
    activity.save()
    draw = lottery_draw(actor=world.staff, activity=activity, session=session)
    assert len(draw.winners) == 2
    assert set(Reminder.objects.values_list("booking_id", flat=True)) == set(draw.winners)
    assert Reminder.objects.filter(state="pending").count() == 4


def test_cancelling_cancels_the_reminders_only_when_nobody_is_left(world, afternoon):
    activity, session = afternoon
    booking = booking_create(
        actor=world.mum_user, activity=activity, session=session, persons=[world.son, world.daughter]
    )
    registration_cancel(actor=world.mum_user, registration=booking.registrations.get(person=world.son))
    assert set(Reminder.objects.filter(booking=booking).values_list("state", flat=True)) == {
        "pending"
    }  # 张小红 still goes
    registration_cancel(actor=world.mum_user, registration=booking.registrations.get(person=world.daughter))
    assert set(Reminder.objects.filter(booking=booking).values_list("state", "reason")) == {
        ("cancelled", "nobody confirmed")
    }
    assert rem.reminders_scan(now=session.starts_at - 2 * HOUR + MINUTE) == 0
    assert not reminder_messages().exists()


def _message_snapshot():
    fields = (
        "key",
        "channel",
        "address",
        "language",
        "subject",
        "body",
        "status",
        "not_before",
        "user_id",
        "person_id",
        "params",
    )
    return sorted(Message.objects.filter(template__code="events.reminder").values_list(*fields))


def test_the_bulk_enqueue_writes_what_one_message_enqueue_per_recipient_wrote(world, afternoon, monkeypatch):
    """Equivalence: the scan through message_enqueue_many and through message_enqueue item by item."""
    from portal.notify import services as notify

    activity, session = afternoon
    ContactPreference.objects.create(
        user=world.mum_user, quiet_start=datetime.time(12), quiet_end=datetime.time(14)
    )
    world.dad_user.language = "en"
    world.dad_user.save()
    booking_create(
        actor=world.mum_user, activity=activity, session=session, persons=[world.son, world.daughter]
    )
    booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.kid])
    session.capacity = 5
    session.save()
    booking_create_on_behalf(staff=world.staff, activity=activity, session=session, persons=[world.granny])
    now = session.starts_at - 2 * HOUR + MINUTE

    def one_by_one(*, items):
        return [notify.message_enqueue(**item) for item in items]

    monkeypatch.setattr(rem, "message_enqueue_many", one_by_one)
    assert rem.reminders_scan(now=now) == 3
    single = _message_snapshot()
    Message.objects.filter(template__code="events.reminder").delete()
    Reminder.objects.update(state="pending", reason="", sent_at=None)
    monkeypatch.undo()
    assert rem.reminders_scan(now=now) == 3
    bulk = _message_snapshot()
    # mum and dad: inbox and SMS (mum's held); granny: SMS only; and mum, her carer, for granny's booking
    assert len(single) == 7 and single == bulk
