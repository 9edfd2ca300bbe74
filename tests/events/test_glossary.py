"""One word for each thing (the glossary in events/__init__.py): the menu, the "my bookings" page and
the reminder say the same name for "my bookings" in Chinese, and the notices say 预约 for a booking."""

import re

from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from portal.notify.models import MessageTemplate

MY_BOOKINGS_ZH = "我的预约"

GLOSSARY = {
    "My bookings": "我的预约",
    "Booked": "已预约",
    "On the waitlist": "候补中",
    "Leave the waitlist": "退出候补",
    "Ticket": "电子票",
    "Check-in": "签到",
}


def test_the_catalogue_follows_the_glossary():
    with translation.override("zh-hans"):
        assert {msgid: gettext(msgid) for msgid in GLOSSARY} == GLOSSARY


def test_menu_page_and_reminder_say_the_same_my_bookings(client, world):
    client.cookies["django_language"] = "zh-hans"
    client.force_login(world.mum_user)
    page = client.get(reverse("events:my_bookings"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    url = reverse("events:my_bookings")
    menu = re.search(rf'<a class="nav-link"[^>]*href="{url}"[^>]*>(.*?)</a>', page, re.S)
    assert menu, "the menu links to my bookings"
    assert menu.group(1).strip() == MY_BOOKINGS_ZH
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1).strip()
    assert h1 == MY_BOOKINGS_ZH

    reminder = MessageTemplate.objects.get(code="events.reminder")
    _subject, body = reminder.source_for("zh-hans")
    with translation.override("zh-hans"):
        text = Template(body).render(
            Context(
                {
                    "recipient_name": "朱晓燕",
                    "persons": "张小明",
                    "activity": "亲子烘焙",
                    "when": "2026-12-05 09:00",
                    "place": "社区活动室",
                    "cancel_until": "12月4日（周五）09:00",
                }
            )
        )
    assert f"“{MY_BOOKINGS_ZH}”" in text
    assert "报名" not in text  # a booking is 预约; 报名 is for the lottery and volunteer shifts


def test_no_notice_of_a_booking_says_baoming(db):
    for code in ("events.reminder", "events.session_cancelled", "events.offer_made", "events.offer_expired"):
        body = MessageTemplate.objects.get(code=code).body_zh
        assert "报名" not in body, code
