"""The back office pages open for staff, with search, and are scoped for partner staff."""

import pytest
from django.urls import reverse

from events.services.booking import booking_create
from portal.accounts.models import Role
from tests.community.factories import OrganizationFactory, UserFactory

from .factories import ActivityFactory, SessionFactory

MODELS = ["activity", "session", "booking", "registration", "offer", "lotterydraw", "targetgroup"]


@pytest.fixture
def admin_client(client, world):
    world.staff.is_staff = True
    world.staff.is_superuser = True
    world.staff.save()
    client.force_login(world.staff)
    return client


def test_every_changelist_and_search_opens(admin_client, world, fcfs):
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    for model in MODELS:
        url = reverse(f"admin:events_{model}_changelist")
        assert admin_client.get(url).status_code == 200, model
        assert admin_client.get(url, {"q": "张"}).status_code == 200, model
    assert (
        admin_client.get(reverse("admin:events_activity_change", args=[fcfs.activity.pk])).status_code == 200
    )
    assert admin_client.get(reverse("admin:events_activity_add")).status_code == 200


def test_partner_staff_see_only_their_organisations_activities(client, world):
    org = OrganizationFactory(name="南通市第一人民医院")
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=org, is_staff=True)
    from django.contrib.auth.models import Permission

    partner.user_permissions.add(Permission.objects.get(codename="view_activity"))
    mine = ActivityFactory(title="义诊", organiser_org=org)
    ActivityFactory(title="别人的活动")
    SessionFactory(activity=mine)
    client.force_login(partner)
    response = client.get(reverse("admin:events_activity_changelist"))
    assert response.status_code == 200
    assert "义诊" in response.text and "别人的活动" not in response.text


def test_inconsistent_activity_is_refused_with_a_clear_message(world):
    from django.core.exceptions import ValidationError

    from events.models import Activity

    activity = Activity(title="x", place="y", organiser_user=world.staff, min_age=12, max_age=6)
    with pytest.raises(ValidationError) as exc:
        activity.full_clean()
    assert "The minimum age cannot be above the maximum age." in exc.value.messages
