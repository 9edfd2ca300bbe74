"""One name for each thing in the messages (the glossary in events/__init__.py), and a staff notice sent
by SMS says which activity and session it is about (an SMS has no subject line)."""

import re

import pytest
from django.template import Context, Template
from django.utils import translation

from events.services.booking import booking_create, booking_create_on_behalf
from events.services.reminders import session_message_send
from portal.notify.models import Message, MessageTemplate

from .conftest import ensure_message_templates
from .factories import ActivityFactory, SessionFactory, in_days

SAMPLE = {
    "recipient_name": "朱晓燕",
    "community": "永兴社区",
    "activity": "亲子烘焙",
    "title": "亲子烘焙 2026-12-09 15:00",
    "when": "2026-12-09 15:00",
    "place": "二楼烘焙教室",
    "persons": "张小明",
    "confirmed": "张小明",
    "waitlisted": "张小红",
    "applied": "王小宝",
    "expires": "12月8日18:00",
    "hours": 24,
    "seed": "永兴2026",
    "reason": "台风",
    "text": "请自带围裙。",
    "cancel_until": "12月8日24:00",
    "address": "和谐怡园佳苑 3-1-502",
    "code": "123456",
}

#: 报名 is only for the lottery (抽签报名, 报名抽签) and for volunteer shifts, never for a booking.
LOTTERY_OR_SHIFT = re.compile(r"抽签报名|报名抽签|班次报名|报名班次|报名志愿")


def rendered_zh():
    ensure_message_templates()
    out = []
    with translation.override("zh-hans"):
        for tmpl in MessageTemplate.objects.order_by("code"):
            for field in ("subject_zh", "body_zh"):
                source = getattr(tmpl, field)
                out.append((tmpl.code, field, Template(source).render(Context(SAMPLE, autoescape=False))))
    return out


@pytest.mark.django_db
def test_every_message_template_says_my_bookings_as_the_menu_does():
    texts = rendered_zh()
    assert {code for code, _f, _t in texts} >= {"events.reminder", "events.booked_on_behalf", "staff.notice"}
    for code, field, text in texts:
        assert "我的报名" not in text, (code, field, text)
        assert "报名记录" not in text, (code, field, text)


@pytest.mark.django_db
def test_no_message_calls_a_booking_a_registration():
    for code, field, text in rendered_zh():
        assert "报名" not in LOTTERY_OR_SHIFT.sub("", text), (code, field, text)


@pytest.mark.django_db
def test_every_message_template_renders_without_leftover_tags():
    for code, field, text in rendered_zh():
        assert "{{" not in text and "{%" not in text, (code, field)


def test_staff_sms_names_the_activity_and_the_session(world):
    activity = ActivityFactory(organiser_user=world.staff, title="周二戏曲班")
    session = SessionFactory(activity=activity, starts_at=in_days(7, hour=15))
    booking_create_on_behalf(staff=world.staff, activity=activity, session=session, persons=[world.granny])
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    with translation.override("zh-hans"):
        session_message_send(actor=world.staff, session=session, text="今天改在三楼上课。")
    day = session.local_date.isoformat()
    sms = Message.objects.filter(template__code="staff.notice", channel="sms")
    assert sms.count() == 2  # granny on her own phone, mum for her son
    for row in sms:
        assert "周二戏曲班" in row.body and day in row.body and "今天改在三楼上课。" in row.body
    granny = sms.get(person=world.granny)
    assert granny.body.startswith("关于“周二戏曲班”（")


def test_staff_message_to_a_whole_activity_still_names_it(world):
    activity = ActivityFactory(organiser_user=world.staff, title="周二戏曲班")
    session = SessionFactory(activity=activity, starts_at=in_days(7, hour=15))
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    session_message_send(actor=world.staff, activity=activity, text="下周停课一次。")
    sms = Message.objects.get(template__code="staff.notice", channel="sms")
    assert "周二戏曲班" in sms.body and "下周停课一次。" in sms.body
