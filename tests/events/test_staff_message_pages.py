"""The message page after a reload (issue 8): a staff member whose "Send" ended on an error page reloads the
form (a fresh one-time key) and sends the same text again. The page asks first, keeps the text, and sends
only once she ticks "Yes, send it again"; another text goes out at once."""

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from events.models import StaffMessage
from events.services import booking_create, booking_create_on_behalf
from portal.notify.models import Message

TEXT = "请带上水杯，九点在二楼集合。"


@pytest.fixture
def staff_client(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.staff)
    return client


@pytest.fixture
def url(world, fcfs):
    """Two recipients: mum for her two children, granny (booked by staff) on her own phone."""
    booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    booking_create_on_behalf(
        staff=world.staff, activity=fcfs.activity, session=fcfs.session, persons=[world.granny]
    )
    return reverse("events:session_message", args=[fcfs.session.pk])


def _notices() -> int:
    return Message.objects.filter(template__code="staff.notice").count()


def _fresh_key(client, url) -> str:
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="confirm_repeat"' not in page.content.decode(), "nothing to confirm on a fresh form"
    return page.context["form"].initial["request_key"]


def _sent(n: int) -> str:
    return ngettext(
        "The message was sent to %(n)d recipient.", "The message was sent to %(n)d recipients.", n
    ) % {"n": n}


def test_a_reload_and_the_same_text_again_asks_first_then_sends_when_confirmed(staff_client, url):
    assert (
        staff_client.post(url, {"text": TEXT, "request_key": _fresh_key(staff_client, url)}).status_code
        == 302
    )
    first = StaffMessage.objects.get()
    notices = _notices()

    key = _fresh_key(staff_client, url)  # the reload
    again = staff_client.post(url, {"text": TEXT + "\n", "request_key": key})

    assert again.status_code == 400
    when = timezone.localtime(first.created_at).strftime("%H:%M")
    question = ngettext(
        "This message was already sent at %(when)s to %(n)d person. Send it again?",
        "This message was already sent at %(when)s to %(n)d people. Send it again?",
        2,
    ) % {"when": when, "n": 2}
    form = again.context["form"]
    assert form.errors == {"text": [question]}
    assert form.has_error("text", code="repeat")
    html = again.content.decode()
    assert html.count(question) == 2, "next to the field and in the summary above the form"
    assert 'data-testid="error-summary"' in html and 'href="#id_text"' in html
    assert 'name="confirm_repeat"' in html
    assert TEXT in html and form["text"].value().strip() == TEXT, "what she wrote is kept"
    assert f'value="{key}"' in html, "the same form: confirming it is the same request"
    assert StaffMessage.objects.count() == 1 and _notices() == notices

    confirmed = staff_client.post(url, {"text": TEXT, "request_key": key, "confirm_repeat": "on"})

    assert confirmed.status_code == 302
    assert [str(m) for m in get_messages(confirmed.wsgi_request)] == [_sent(2)]
    assert StaffMessage.objects.count() == 2
    assert _notices() > notices
    # a double tap on the confirmation sends nothing more
    notices = _notices()
    assert (
        staff_client.post(url, {"text": TEXT, "request_key": key, "confirm_repeat": "on"}).status_code == 302
    )
    assert StaffMessage.objects.count() == 2 and _notices() == notices


def test_another_text_after_a_reload_is_sent_at_once(staff_client, url):
    assert (
        staff_client.post(url, {"text": TEXT, "request_key": _fresh_key(staff_client, url)}).status_code
        == 302
    )
    response = staff_client.post(url, {"text": "改到三楼", "request_key": _fresh_key(staff_client, url)})
    assert response.status_code == 302
    assert [m.text for m in StaffMessage.objects.all()] == ["改到三楼", TEXT]


def test_a_ticked_confirmation_stays_on_the_form_when_something_else_is_wrong(staff_client, url):
    response = staff_client.post(url, {"text": "  ", "request_key": "A" * 32, "confirm_repeat": "on"})
    assert response.status_code == 400
    assert 'name="confirm_repeat"' in response.content.decode()
    assert not StaffMessage.objects.exists()
