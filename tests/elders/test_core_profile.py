"""Staff edit the profile (entered on her behalf) and set the risk level by hand with a reason; the
contact plan follows every change of the level."""

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from elders.models import ElderProfile, HelperKind, LivingSituation, RiskLevel
from elders.services import outreach
from elders.services.profiles import elder_profile_update, elder_risk_override
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.elders._f_core import ElderFactory, ElderProfileFactory, grid_worker, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(monkeypatch):
    """The ids handed to the outreach piece's contact_plans_sync (its own tests cover what it does)."""
    calls: list[list[int]] = []
    monkeypatch.setattr(
        outreach, "contact_plans_sync", lambda *, person_ids: calls.append(list(person_ids)) or 0
    )
    return calls


def test_staff_edit_the_profile_on_her_behalf(client, synced):
    staff = staff_user()
    helper = UserFactory(role=Role.VOLUNTEER, name="李欣怡", phone="+8613800000004")
    elder = ElderFactory(name="王秀英")  # no profile yet: created on the first edit
    client.force_login(staff)
    url = reverse("elders:profile_edit", args=[elder.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "living_situation": LivingSituation.ALONE,
            "helper": "13800000004",
            "helper_kind": "",
            "needs": "需要每周送一次药",
            "birthday_calendar": "lunar",
            "birthday_greetings": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("elders:elder", args=[elder.pk])
    profile = ElderProfile.objects.get(person=elder)
    assert profile.living_situation == LivingSituation.ALONE and profile.helper == helper
    assert profile.helper_kind == HelperKind.VOLUNTEER and profile.needs == "需要每周送一次药"
    assert profile.birthday_greetings and profile.birthday_calendar == "lunar"
    assert profile.updated_by == staff
    assert profile.risk_level == RiskLevel.HIGH and profile.risk_reasons == ["lives_alone", "age_80"]
    elder.refresh_from_db()
    assert elder.lives_alone  # the registry's flag follows
    assert [elder.pk] in synced
    entry = LogEntry.objects.get_for_object(profile).order_by("-timestamp").first()
    assert entry is not None and entry.actor == staff
    page = client.get(reverse("elders:elder", args=[elder.pk])).content.decode()
    assert "由工作人员陈善惠" in page and "代为登记" in page and "李欣怡" in page
    assert "独居 · 82岁" in page


def test_ten_thousand_characters_of_needs_are_refused_at_the_field_and_nothing_is_saved(client, synced):
    elder = ElderProfileFactory(needs="原来的需求").person
    client.force_login(staff_user())
    response = client.post(
        reverse("elders:profile_edit", args=[elder.pk]),
        {"living_situation": LivingSituation.FAMILY, "needs": "长" * 10_000, "birthday_calendar": "solar"},
    )
    assert response.status_code == 200
    assert "needs" in response.context["form"].errors
    assert "1000" in response.context["form"].errors["needs"][0]
    assert 'data-testid="error-summary"' in response.content.decode()
    profile = ElderProfile.objects.get(person=elder)
    assert profile.needs == "原来的需求" and profile.living_situation == LivingSituation.ALONE
    assert synced == []


def test_the_service_refuses_long_needs_and_unknown_helpers_too(synced):
    staff = staff_user()
    elder = ElderFactory(user=UserFactory())
    with pytest.raises(ValidationError) as exc:
        elder_profile_update(actor=staff, person=elder, needs="x" * 1001)
    assert "needs" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        elder_profile_update(actor=staff, person=elder, helper=elder.user)
    assert "helper" in exc.value.error_dict
    assert not ElderProfile.objects.filter(person=elder).exists()


def test_a_helper_phone_without_an_account_is_an_error_at_the_field(client):
    elder = ElderFactory()
    client.force_login(staff_user())
    response = client.post(
        reverse("elders:profile_edit", args=[elder.pk]),
        {"living_situation": LivingSituation.FAMILY, "helper": "13700000099", "birthday_calendar": "solar"},
    )
    assert response.status_code == 200 and "helper" in response.context["form"].errors
    assert "没有用这个手机号注册的账号" in response.content.decode()
    assert not ElderProfile.objects.filter(person=elder).exists()


def test_a_grid_worker_edits_her_grids_elders_only():
    worker = grid_worker()
    ours = ElderFactory(household__building__grid=worker.grid)
    theirs = ElderFactory()
    elder_profile_update(actor=worker, person=ours, childless_widowed=True)
    assert ElderProfile.objects.get(person=ours).risk_level == RiskLevel.HIGH
    with pytest.raises(PermissionDenied):
        elder_profile_update(actor=worker, person=theirs, childless_widowed=True)
    with pytest.raises(PermissionDenied):
        elder_profile_update(actor=UserFactory(role=Role.VOLUNTEER), person=ours, needs="x")


def test_an_override_needs_a_reason_at_the_field(client, synced):
    elder = ElderProfileFactory(living_situation=LivingSituation.FAMILY).person
    client.force_login(staff_user())
    url = reverse("elders:risk_override", args=[elder.pk])
    response = client.post(url, {"level": RiskLevel.HIGH, "reason": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["请填写人工设定风险等级的原因。"]
    assert ElderProfile.objects.get(person=elder).risk_override == ""
    assert synced == []


def test_an_override_is_kept_with_who_and_when_and_can_be_cleared_with_a_reason(client, synced):
    staff = staff_user()
    elder = ElderProfileFactory(living_situation=LivingSituation.FAMILY).person
    client.force_login(staff)
    url = reverse("elders:risk_override", args=[elder.pk])
    response = client.post(url, {"level": RiskLevel.HIGH, "reason": "女儿出国，近期无人照看"})
    assert response.status_code == 302
    profile = ElderProfile.objects.get(person=elder)
    assert profile.effective_risk == RiskLevel.HIGH and profile.risk_override_by == staff
    assert profile.risk_override_at is not None and profile.risk_override_reason == "女儿出国，近期无人照看"
    assert synced == [[elder.pk]]
    page = client.get(reverse("elders:elder", args=[elder.pk])).content.decode()
    assert "人工设定" in page and "女儿出国，近期无人照看" in page and "陈善惠" in page

    # Clearing needs a reason as well.
    with pytest.raises(ValidationError):
        elder_risk_override(actor=staff, person=elder, level="", reason="")
    elder_risk_override(actor=staff, person=elder, level="", reason="女儿已回国")
    profile.refresh_from_db()
    assert profile.risk_override == "" and profile.risk_override_reason == "女儿已回国"
    assert profile.effective_risk == profile.risk_level
    assert len(synced) == 2
    page = client.get(reverse("elders:elder", args=[elder.pk])).content.decode()
    assert "清除了人工设定的等级" in page


def test_only_community_staff_override(synced):
    elder = ElderProfileFactory().person
    with pytest.raises(PermissionDenied):
        elder_risk_override(actor=grid_worker(), person=elder, level=RiskLevel.LOW, reason="x")
    with pytest.raises(ValidationError) as exc:
        elder_risk_override(actor=staff_user(), person=elder, level="extreme", reason="x")
    assert "level" in exc.value.error_dict
