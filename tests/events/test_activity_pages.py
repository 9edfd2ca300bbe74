"""The staff pages that create and edit an activity (``events:activity_create``, ``events:activity_edit``).

Residents get a 403 (create) or 404 (edit); partner staff create only for their own organisation and
cannot open another organisation's activity; bad input comes back next to the field, nothing saved."""

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from events.models import Activity, AllocationMode, PriorityTier, ReminderRule, Session
from events.services import booking_create, reminder_leads
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory

from .factories import ActivityFactory, OrganizationFactory, TargetGroupFactory


def post_data(**overrides):
    data = {
        "title": "周二越剧班",
        "description": "每周二上午学唱越剧。",
        "area": "elders",
        "place": "永兴社区活动室",
        "status": "published",
        "capacity_unit": "person",
        "registration_scope": "session",
        "allocation": "fcfs",
        "waitlist_enabled": "on",
        "booking_opens_at": "2026-11-20T09:00",
        "booking_closes_at": "2026-12-20T18:00",
        "offer_hold_hours": "24",
        "cancel_hours_before": "24",
        "lead_minutes": ["1440", "120"],
        "tiers-TOTAL_FORMS": "2",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "10",
    }
    data.update(overrides)
    return data


@pytest.fixture
def client(client):
    """Assertions read the English msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def org(db):
    return OrganizationFactory(name="南通申丞小海护理院")


@pytest.fixture
def partner(org):
    return UserFactory(role=Role.PARTNER_STAFF, organization=org, name="顾春梅")


def test_a_resident_is_kept_out(client, world, fcfs):
    client.force_login(world.mum_user)
    assert client.get(reverse("events:activity_create")).status_code == 403
    assert client.post(reverse("events:activity_create"), post_data()).status_code == 403
    assert client.get(reverse("events:activity_edit", args=[fcfs.activity.pk])).status_code == 404
    assert (
        client.post(reverse("events:activity_edit", args=[fcfs.activity.pk]), post_data()).status_code == 404
    )
    assert list(Activity.objects.values_list("title", flat=True)) == ["亲子烘焙"]


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    assert client.get(reverse("events:activity_create")).status_code == 302


def test_staff_create_and_land_on_the_manage_page(client, world):
    client.force_login(world.staff)
    page = client.get(reverse("events:activity_create"))
    assert page.status_code == 200
    response = client.post(reverse("events:activity_create"), post_data())
    assert response.status_code == 302, response.context["form"].errors
    activity = Activity.objects.get(title="周二越剧班")
    assert response.status_code == 302 and response["Location"] == reverse(
        "events:manage", args=[activity.pk]
    )
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == "“周二越剧班” is created. Now add its sessions below."
    assert activity.organiser_user == world.staff and activity.area == "elders"
    # the default times kept as offered: no rules written, the default stays the default
    assert not ReminderRule.objects.filter(activity=activity).exists()
    assert reminder_leads(activity=activity) == [1440, 120]
    assert not activity.sessions.exists()
    manage = client.get(reverse("events:manage", args=[activity.pk]))
    assert reverse("events:activity_edit", args=[activity.pk]) in manage.content.decode()
    listing = client.get(reverse("events:staff_activities")).content.decode()
    assert reverse("events:activity_create") in listing


def test_a_one_off_event_with_its_first_session(client, world):
    client.force_login(world.staff)
    response = client.post(
        reverse("events:activity_create"),
        post_data(
            title="重阳节敬老活动",
            first_date="2027-10-08",
            first_start="09:00",
            first_end="11:00",
            first_capacity="40",
        ),
    )
    assert response.status_code == 302
    (session,) = Session.objects.filter(activity__title="重阳节敬老活动")
    assert session.capacity == 40 and session.starts_at.isoformat() == "2027-10-08T01:00:00+00:00"


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {"booking_closes_at": "2026-11-19T09:00"},
            "booking_closes_at",
            "Booking must close after it opens.",
        ),
        ({"min_age": "60", "max_age": "6"}, "max_age", "The maximum age cannot be below the minimum age."),
        (
            {"allocation": "lottery", "booking_closes_at": ""},
            "booking_closes_at",
            "A lottery needs the time applications close: it is drawn after that.",
        ),
        (
            {"booking_opens_at": "9999-12-31T23:59"},
            "booking_opens_at",
            "Enter a date between the years 1900 and 2100.",
        ),
        (
            {"first_date": "2027-10-08", "first_capacity": "40"},
            "first_start",
            "Give the time the first session starts.",
        ),
        (
            {"first_date": "2027-10-08", "first_start": "11:00", "first_end": "09:00", "first_capacity": "4"},
            "first_end",
            "A session must end after it starts.",
        ),
        ({"title": ""}, "title", "Give the activity a title."),
    ],
)
def test_bad_input_is_refused_at_the_field_and_nothing_is_saved(client, world, overrides, field, message):
    client.force_login(world.staff)
    response = client.post(reverse("events:activity_create"), post_data(**overrides))
    assert response.status_code == 400
    assert [str(e) for e in response.context["form"].errors[field]] == [message]
    assert 'data-testid="error-summary"' in response.content.decode()
    assert not Activity.objects.exists() and not Session.objects.exists()


def test_duplicate_tier_ranks_are_refused(client, world):
    client.force_login(world.staff)
    group = TargetGroupFactory(name="待就业妇女")
    response = client.post(
        reverse("events:activity_create"),
        post_data(
            allocation="lottery",
            **{
                "tiers-0-rank": "1",
                "tiers-0-residents": "on",
                "tiers-1-rank": "1",
                "tiers-1-group": str(group.pk),
            },
        ),
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Two priority tiers have rank 1: give each its own rank."
    ]
    assert not Activity.objects.exists() and not PriorityTier.objects.exists()


def test_a_lottery_with_tiers_is_created(client, world):
    client.force_login(world.staff)
    group = TargetGroupFactory(name="待就业妇女")
    response = client.post(
        reverse("events:activity_create"),
        post_data(
            allocation="lottery",
            **{
                "tiers-0-rank": "1",
                "tiers-0-group": str(group.pk),
                "tiers-1-rank": "2",
                "tiers-1-residents": "on",
            },
        ),
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.allocation == AllocationMode.LOTTERY
    assert list(activity.priority_tiers.values_list("rank", "group", "residents")) == [
        (1, group.pk, False),
        (2, None, True),
    ]


def test_a_partner_creates_for_her_organisation_only(client, partner, org):
    client.force_login(partner)
    other = OrganizationFactory(name="永兴卫生服务站")
    # a forged organiser is ignored: the field is fixed to her organisation
    response = client.post(reverse("events:activity_create"), post_data(organiser=f"org:{other.pk}"))
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.organiser_org == org and activity.organiser_user is None
    page = client.get(reverse("events:activity_create")).content.decode()
    assert "永兴卫生服务站" not in page and "南通申丞小海护理院" in page


def test_a_partner_cannot_edit_another_organisations_activity(client, partner, world, fcfs):
    client.force_login(partner)
    assert client.get(reverse("events:activity_edit", args=[fcfs.activity.pk])).status_code == 404
    response = client.post(reverse("events:activity_edit", args=[fcfs.activity.pk]), post_data(title="改名"))
    assert response.status_code == 404
    fcfs.activity.refresh_from_db()
    assert fcfs.activity.title == "亲子烘焙"


def test_community_staff_edit_an_activity(client, world, fcfs):
    client.force_login(world.staff)
    url = reverse("events:activity_edit", args=[fcfs.activity.pk])
    page = client.get(url)
    assert page.status_code == 200 and "first_date" not in page.context["form"].fields
    response = client.post(
        url,
        post_data(
            title="亲子烘焙（周末班）", organiser=f"user:{world.staff.pk}", lead_minutes=["4320", "60"]
        ),
    )
    assert response.status_code == 302
    fcfs.activity.refresh_from_db()
    assert fcfs.activity.title == "亲子烘焙（周末班）"
    assert reminder_leads(activity=fcfs.activity) == [4320, 60]
    # the edit page shows them ticked; unticking everything goes back to the default
    assert client.get(url).context["form"].initial["lead_minutes"] == [4320, 60]
    assert client.post(url, post_data(title="亲子烘焙（周末班）", lead_minutes=[])).status_code == 302
    assert not ReminderRule.objects.filter(activity=fcfs.activity).exists()


def test_editing_a_booked_activity_refuses_to_switch_its_allocation(client, world, fcfs):
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.mum])
    client.force_login(world.staff)
    url = reverse("events:activity_edit", args=[fcfs.activity.pk])
    response = client.post(url, post_data(title="亲子烘焙", allocation="lottery"))
    assert response.status_code == 400
    assert response.context["form"].errors["allocation"] == [
        "1 booking has been made: this can no longer change."
    ]
    fcfs.activity.refresh_from_db()
    assert fcfs.activity.allocation == AllocationMode.FCFS and fcfs.activity.place == "永兴社区活动室"


def test_another_organiser_activity_is_404_for_a_plain_organiser(client, world, fcfs):
    organiser = UserFactory(name="活动负责人")
    ActivityFactory(organiser_user=organiser, title="她的活动")
    client.force_login(organiser)
    assert client.get(reverse("events:activity_edit", args=[fcfs.activity.pk])).status_code == 404
    assert client.get(reverse("events:activity_create")).status_code == 403


def test_the_create_page_speaks_chinese(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(world.staff)
    html = client.get(reverse("events:activity_create")).content.decode()
    for words in ("新建活动", "参加条件", "预约时间", "抽签优先顺序", "第一场", "提前1天", "创建活动"):
        assert words in html, words
    assert 'type="datetime-local"' in html and 'name="booking_opens_at"' in html


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": "a\x00b"},
        {"min_age": "99999999999999999999"},
        {"capacity": "-1", "registration_scope": "course"},
        {"organiser": "user:abc"},
        {"organiser": "org:99999999999999999999"},
        {"booking_opens_at": "2026-02-30T09:00"},
        {"first_date": "0001-01-01", "first_start": "25:00", "first_end": "x"},
        {"lead_minutes": ["\x00", "１４４０"]},
        {"tiers-TOTAL_FORMS": "abc"},
        {"tiers-TOTAL_FORMS": "99999", "tiers-0-rank": "99999999999999999999"},
        {"tiers-0-group": "abc", "tiers-0-rank": "1"},
        {"allocation": "lottery", "tiers-0-group": str(10**12)},
    ],
)
def test_hostile_input_is_a_field_error_never_a_500(client, world, overrides):
    client.force_login(world.staff)
    response = client.post(reverse("events:activity_create"), post_data(**overrides))
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Activity.objects.exists()
