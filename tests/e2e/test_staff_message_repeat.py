"""Issue 8 in the browser: a staff member sends a message, reloads the form (as she would after an error
page) and sends the same text again. The page asks "already sent at 10:00 to 2 people: send again?" next
to the text and in the summary above the form, with her text kept; nothing goes out until she ticks
"Yes, send it again". Axe passes on the question too."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from events.models import StaffMessage
from events.services import booking_create, booking_create_on_behalf
from portal.accounts.models import Role
from portal.notify.models import Message
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, error_for, go, submit
from tests.community.factories import HouseholdFactory, PersonFactory
from tests.events.conftest import ensure_message_templates
from tests.events.factories import ActivityFactory, SessionFactory

pytestmark = E2E

TEXT = "明天上午的烘焙课改到二楼活动室，请带上围裙。"


def _booked_session(staff):
    """Two recipients: a resident who booked herself, a grandmother booked by staff on her behalf."""
    ensure_message_templates()
    activity = ActivityFactory(organiser_user=staff, title="亲子烘焙")
    session = SessionFactory(activity=activity, capacity=5)
    mum = UserFactory(phone="+8613912340071", name="朱晓燕")
    me = PersonFactory(name="朱晓燕", user=mum, household=HouseholdFactory())
    booking_create(actor=mum, activity=activity, session=session, persons=[me])
    granny = PersonFactory(name="李秀英", household=HouseholdFactory(), phone="+8613700001112")
    booking_create_on_behalf(staff=staff, activity=activity, session=session, persons=[granny])
    return session


def _zh_question(when: str, n: int) -> str:
    with translation.override("zh-hans"):
        return ngettext(
            "This message was already sent at %(when)s to %(n)d person. Send it again?",
            "This message was already sent at %(when)s to %(n)d people. Send it again?",
            n,
        ) % {"when": when, "n": n}


def test_sending_again_after_a_reload_asks_first_and_sends_once_confirmed(page, sign_in):
    staff = UserFactory(phone="+8613912340072", name="陈善惠", role=Role.COMMUNITY_STAFF)
    session = _booked_session(staff)
    url = reverse("events:session_message", args=[session.pk])
    sign_in(page, staff)

    go(page, url)
    page.fill("[name=text]", TEXT)
    submit(page, "text")
    assert StaffMessage.objects.count() == 1
    notices = Message.objects.filter(template__code="staff.notice").count()

    # the reload: a fresh form, the same text again
    go(page, url)
    assert page.locator("[name=confirm_repeat]").count() == 0
    page.fill("[name=text]", TEXT)
    submit(page, "text")

    when = timezone.localtime(StaffMessage.objects.get().created_at).strftime("%H:%M")
    question = _zh_question(when, 2)
    assert error_for(page, "text") == question
    summary = page.get_by_test_id("error-summary")
    assert summary.get_by_role("link", name=question).get_attribute("href") == "#id_text"
    # the portal's error summary takes the focus, so the question is read out first (static/js/portal.js)
    assert page.evaluate("document.activeElement.dataset.testid") == "error-summary"
    assert page.locator("[name=text]").input_value() == TEXT
    assert page.locator("[name=confirm_repeat]").is_visible()
    axe_check(page)
    assert StaffMessage.objects.count() == 1
    assert Message.objects.filter(template__code="staff.notice").count() == notices

    with translation.override("zh-hans"):
        page.get_by_label(gettext("Yes, send it again")).check()
    submit(page, "text")

    assert page.url.endswith(reverse("events:manage", args=[session.activity_id])), page.url
    with translation.override("zh-hans"):
        sent = ngettext(
            "The message was sent to %(n)d recipient.", "The message was sent to %(n)d recipients.", 2
        ) % {"n": 2}
    assert sent in page.locator(".alert-success").inner_text()
    axe_check(page)
    assert StaffMessage.objects.count() == 2
    assert Message.objects.filter(template__code="staff.notice").count() == 2 * notices
