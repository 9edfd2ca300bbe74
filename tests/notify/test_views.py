import datetime

import pytest
from django.urls import reverse

from portal.notify.models import ContactPreference, Message, MessageTemplate
from portal.notify.services import message_enqueue
from tests.accounts.factories import UserFactory
from tests.community.factories import PersonFactory
from tests.notify.factories import InboxMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(client):
    user = UserFactory(language="en")
    client.force_login(user)
    return user


def test_inbox_needs_sign_in(client):
    response = client.get(reverse("notify:inbox"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_inbox_lists_only_my_messages_newest_first(client, resident):
    message_enqueue(key="v:1", template="account.welcome", context={}, user=resident, channels=["inbox"])
    InboxMessageFactory(user=UserFactory(), subject="someone else's notice")
    response = client.get(reverse("notify:inbox"))
    assert response.status_code == 200
    page = response.context["page"]
    assert [m.user for m in page.object_list] == [resident]
    body = response.content.decode()
    assert "Welcome" in body
    assert "someone else" not in body


def test_inbox_is_paginated(client, resident):
    InboxMessageFactory.create_batch(25, user=resident)
    first = client.get(reverse("notify:inbox"))
    assert len(first.context["page"].object_list) == 20
    second = client.get(reverse("notify:inbox"), {"page": 2})
    assert len(second.context["page"].object_list) == 5
    assert client.get(reverse("notify:inbox"), {"page": "nonsense"}).status_code == 200


def test_opening_a_message_marks_it_read_and_lowers_the_unread_count(client, resident):
    message = InboxMessageFactory(user=resident, body="明天上午停水")
    InboxMessageFactory(user=resident)
    assert client.get(reverse("notify:inbox")).context["unread_count"] == 2
    response = client.get(reverse("notify:message", args=[message.pk]))
    assert response.status_code == 200
    assert "明天上午停水" in response.content.decode()
    message.refresh_from_db()
    assert message.read_at is not None
    assert response.context["unread_count"] == 1


def test_someone_elses_message_is_not_found(client, resident):
    other = InboxMessageFactory(user=UserFactory())
    assert client.get(reverse("notify:message", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_an_impossible_id_is_not_found_rather_than_an_error(client, resident):
    assert client.get("/inbox/99999999999999999999999/").status_code == 404


def test_a_pending_sms_row_is_not_an_inbox_item(client, resident):
    [sms] = message_enqueue(
        key="v:2", template="account.welcome", context={}, user=resident, channels=["sms"]
    )
    assert client.get(reverse("notify:message", args=[sms.pk])).status_code == 404


def test_mark_all_read(client, resident):
    InboxMessageFactory.create_batch(3, user=resident)
    response = client.post(reverse("notify:mark_all_read"))
    assert response.status_code == 302
    assert not Message.objects.inbox().unread().filter(user=resident).exists()
    assert client.get(reverse("notify:mark_all_read")).status_code == 405


def test_the_unread_count_costs_one_query(client, resident, django_assert_max_num_queries):
    from django.test import RequestFactory

    from portal.notify.context_processors import inbox

    InboxMessageFactory.create_batch(3, user=resident)
    request = RequestFactory().get("/")
    request.user = resident
    with django_assert_max_num_queries(1):
        assert inbox(request) == {"unread_count": 3}


def test_anonymous_visitors_cost_no_query(django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from portal.notify.context_processors import inbox

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert inbox(request) == {"unread_count": 0}


# --- preferences ---------------------------------------------------------------------------------


def test_preferences_show_the_elder_default_quiet_hours(client):
    user = UserFactory()
    PersonFactory(user=user, birth_date=datetime.date(1950, 1, 1))
    client.force_login(user)
    response = client.get(reverse("notify:preferences"))
    assert response.status_code == 200
    assert response.context["form"].initial["quiet_start"] == datetime.time(21)
    assert 'value="21:00"' in response.content.decode()


def test_preferences_are_saved(client, resident):
    response = client.post(
        reverse("notify:preferences"), {"sms_enabled": "on", "quiet_start": "22:00", "quiet_end": "07:30"}
    )
    assert response.status_code == 302
    pref = ContactPreference.objects.get(user=resident)
    assert (pref.sms_enabled, pref.email_enabled, pref.inbox_enabled) == (True, False, True)
    assert (pref.quiet_start, pref.quiet_end) == (datetime.time(22), datetime.time(7, 30))


def test_clearing_both_times_means_no_quiet_hours(client, resident):
    client.post(reverse("notify:preferences"), {"sms_enabled": "on", "quiet_start": "", "quiet_end": ""})
    pref = ContactPreference.objects.get(user=resident)
    assert pref.quiet_start is None and pref.quiet_end is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"quiet_start": "22:00", "quiet_end": ""}, "quiet_end"),
        ({"quiet_start": "", "quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "quiet_end"),
        ({"quiet_start": "25:99", "quiet_end": "07:00"}, "quiet_start"),
    ],
)
def test_bad_quiet_hours_are_refused_next_to_the_field(client, resident, data, field):
    response = client.post(reverse("notify:preferences"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="invalid-feedback' in response.content.decode()
    assert not ContactPreference.objects.filter(user=resident).exists()


# --- admin ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_admin_pages_load(admin_client):
    user = UserFactory()
    [row] = message_enqueue(key="a:1", template="account.welcome", context={}, user=user, channels=["sms"])
    for url in (
        reverse("admin:notify_message_changelist"),
        reverse("admin:notify_message_changelist") + "?q=a:1&channel__exact=sms&status__exact=pending",
        reverse("admin:notify_message_change", args=[row.pk]),
        reverse("admin:notify_messagetemplate_changelist"),
        reverse(
            "admin:notify_messagetemplate_change",
            args=[MessageTemplate.objects.get(code="account.welcome").pk],
        ),
        reverse("admin:notify_contactpreference_changelist"),
        reverse("admin:notify_contactpreference_add"),
    ):
        assert admin_client.get(url).status_code == 200, url


def test_admin_retry_action(admin_client, sms_outbox):
    from portal.notify.models import MessageStatus

    user = UserFactory()
    [row] = message_enqueue(key="a:2", template="account.welcome", context={}, user=user, channels=["sms"])
    Message.objects.filter(pk=row.pk).update(status=MessageStatus.FAILED, attempts=5, last_error="x")
    response = admin_client.post(
        reverse("admin:notify_message_changelist"),
        {"action": "retry_failed", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == MessageStatus.PENDING and row.attempts == 0


def test_admin_refuses_a_broken_template(admin_client):
    tmpl = MessageTemplate.objects.get(code="staff.notice")
    response = admin_client.post(
        reverse("admin:notify_messagetemplate_change", args=[tmpl.pk]),
        {
            "code": "staff.notice",
            "description": "",
            "active": "on",
            "sms_template_code": "",
            "subject_zh": "{{ title ",
            "body_zh": "{% if %}",
            "subject_en": "",
            "body_en": "",
        },
    )
    assert response.status_code == 200
    assert "body_zh" in response.context["adminform"].form.errors
    tmpl.refresh_from_db()
    assert tmpl.body_zh != "{% if %}"


def test_default_templates_exist_in_both_languages():
    codes = {"account.welcome", "community.claim_confirmed", "community.claim_rejected", "staff.notice"}
    templates = MessageTemplate.objects.filter(code__in=codes)
    assert {t.code for t in templates} == codes
    assert all(t.body_zh and t.body_en and t.active for t in templates)
