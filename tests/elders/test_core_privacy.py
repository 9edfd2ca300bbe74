"""An elder without a phone is a full citizen: who hears about her, the health consent recorded at the
desk from her signed paper form, and the erasure of her health data when she withdraws it (PIPL art. 47)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from elders.models import ElderProfile, FlagLevel, FollowUp, Reading, ReadingKind
from elders.services.recipients import notice_recipients
from portal.accounts.models import Role
from portal.community.models import AccessLog, Consent, ConsentPurpose, SensitiveProfile
from portal.community.privacy_hooks import discover
from portal.community.selectors import has_consent
from portal.community.services import consent_record_at_desk, consent_withdraw
from tests.accounts.factories import UserFactory
from tests.community.factories import OrganizationFactory
from tests.elders._f_core import ElderFactory, daughter_for, grid_worker, staff_user, with_sensitive

pytestmark = pytest.mark.django_db


# --- who hears about her ------------------------------------------------------------------------------


def test_notice_recipients_herself_or_the_family_who_act_for_her(django_assert_num_queries):
    with_account = ElderFactory(user=UserFactory(name="自己有账号"))
    without = ElderFactory()
    _user, daughter = daughter_for(without)
    nobody = ElderFactory()
    inactive = ElderFactory(user=UserFactory(is_active=False))
    _u2, son = daughter_for(inactive, name="儿子")
    with django_assert_num_queries(2):
        out = notice_recipients(persons=[with_account, without, nobody, inactive])
    assert out[with_account.pk] == [with_account]
    assert out[without.pk] == [daughter] and out[without.pk][0].user.is_active
    assert out[nobody.pk] == []
    assert out[inactive.pk] == [son]
    assert notice_recipients(persons=[]) == {}


def test_the_elder_pages_recipients_from_her_family_rows_are_notice_recipients(django_assert_num_queries):
    """The elder page takes her notices' recipients from the family rows it reads anyway
    (``notice_recipients_from``): the same people, in the same order, as ``notice_recipients``, for an
    elder with an account, one without (two daughters, one of them without an active account or moved
    away), one with nobody, one whose own account is inactive."""
    from elders.services.recipients import notice_recipients_from
    from portal.community.models import ACTING_RELATIONS, Person, Relation

    with_account = ElderFactory(user=UserFactory(name="自己有账号"))
    without = ElderFactory()
    _u1, first = daughter_for(without, name="大女儿")
    _u2, second = daughter_for(without, name="二女儿")
    u3, gone = daughter_for(without, name="小女儿")
    u3.is_active = False
    u3.save()
    _u4, moved = daughter_for(without, name="搬走的")
    moved.is_active = False
    moved.save()
    nobody = ElderFactory()
    inactive = ElderFactory(user=UserFactory(is_active=False))
    _u5, son = daughter_for(inactive, name="儿子")
    elders = [with_account, without, nobody, inactive]
    expected = notice_recipients(persons=elders)
    assert expected[without.pk] == [first, second]
    for elder in elders:
        person = Person.objects.select_related("user").get(pk=elder.pk)
        relations = list(
            Relation.objects.filter(relative=person, kind__in=ACTING_RELATIONS)
            .select_related("subject__user")
            .order_by("-id")  # any order: the result follows the relations' ids
        )
        with django_assert_num_queries(0):
            assert notice_recipients_from(person=person, acting=relations) == expected[elder.pk]


def test_the_elder_page_says_who_gets_her_notices(client):
    elder = ElderFactory(name="孙秀兰")
    client.force_login(staff_user())
    page = client.get(reverse("elders:elder", args=[elder.pk])).content.decode()
    assert 'data-testid="no-recipient"' in page
    daughter_for(elder, name="孙丽")
    page = client.get(reverse("elders:elder", args=[elder.pk])).content.decode()
    assert 'data-testid="no-recipient"' not in page and "孙丽" in page and "代她接收通知" in page


# --- the desk consent -------------------------------------------------------------------------------


def test_staff_record_her_health_consent_from_the_paper_form(client):
    from auditlog.models import LogEntry

    staff = staff_user()
    elder = ElderFactory(name="周桂兰")
    client.force_login(staff)
    url = reverse("elders:desk_consent", args=[elder.pk])
    page = client.get(reverse("elders:elder", args=[elder.pk])).content.decode()
    assert "登记纸质同意书" in page and url in page
    # The box says the form was checked: without it, an error at the field and nothing saved.
    response = client.post(url, {"action": "record"})
    assert response.status_code == 200 and "paper_checked" in response.context["record_form"].errors
    assert not Consent.objects.filter(person=elder).exists()
    response = client.post(url, {"action": "record", "paper_checked": "on"})
    assert response.status_code == 302
    consent = Consent.objects.get(person=elder, purpose=ConsentPurpose.HEALTH)
    assert consent.recorded_at_desk and consent.given_by == staff and not consent.given_as_guardian
    assert LogEntry.objects.get_for_object(consent).first().actor == staff
    page = client.get(url).content.decode()
    assert "窗口代为登记" in page and "陈善惠" in page


def test_only_staff_and_her_grid_worker_record_it():
    worker = grid_worker()
    ours = ElderFactory(household__building__grid=worker.grid)
    theirs = ElderFactory()
    assert consent_record_at_desk(staff=worker, person=ours, purpose=ConsentPurpose.HEALTH).recorded_at_desk
    # idempotent
    assert Consent.objects.filter(person=ours).count() == 1
    consent_record_at_desk(staff=worker, person=ours, purpose=ConsentPurpose.HEALTH)
    assert Consent.objects.filter(person=ours).count() == 1
    for who in (
        worker,
        UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory()),
        UserFactory(),
    ):
        with pytest.raises(PermissionDenied):
            consent_record_at_desk(staff=who, person=theirs, purpose=ConsentPurpose.HEALTH)
    assert not Consent.objects.filter(person=theirs).exists()


# --- the erasure -----------------------------------------------------------------------------------


def _health_data(elder, staff):
    reading = Reading.objects.create(
        elder=elder,
        kind=ReadingKind.BLOOD_PRESSURE,
        value=182,
        value2=95,
        unit="mmHg",
        level=FlagLevel.URGENT,
        recorded_by=staff,
        taken_at=timezone.now(),
    )
    FollowUp.objects.create(
        elder=elder, reading=reading, level=FlagLevel.URGENT, due_on=datetime.date(2026, 11, 20)
    )
    FollowUp.objects.create(elder=elder, level=FlagLevel.ABNORMAL, due_on=datetime.date(2026, 11, 21))


def test_the_elders_app_is_found_by_the_platform():
    assert "elders.privacy" in {m.__name__ for m in discover(refresh=True)}


def test_withdrawing_health_consent_erases_her_readings_and_follow_ups():
    staff = staff_user()
    elder = ElderFactory()
    user, _daughter = daughter_for(elder)
    other = ElderFactory()
    with_sensitive(elder, staff=staff, adl_level="severe")
    with_sensitive(other, staff=staff, adl_level="mild")
    _health_data(elder, staff)
    _health_data(other, staff)
    assert ElderProfile.objects.get(person=elder).risk_reasons == ["age_80", "adl_severe"]
    consent_withdraw(actor=user, person=elder, purpose=ConsentPurpose.HEALTH)  # her daughter, online
    assert not Reading.objects.filter(elder=elder).exists()
    assert not FollowUp.objects.filter(elder=elder).exists()
    assert not SensitiveProfile.objects.filter(person=elder).exists()
    assert not has_consent(person=elder, purpose=ConsentPurpose.HEALTH)
    assert ElderProfile.objects.get(person=elder).risk_reasons == [
        "age_80"
    ]  # the sensitive reason is gone with the data
    assert (
        Reading.objects.filter(elder=other).count() == 1 and FollowUp.objects.filter(elder=other).count() == 2
    )


def test_withdrawing_at_the_desk_erases_them_too(client):
    staff = staff_user()
    elder = ElderFactory()
    with_sensitive(elder, staff=staff)
    _health_data(elder, staff)
    client.force_login(staff)
    url = reverse("elders:desk_consent", args=[elder.pk])
    response = client.post(url, {"action": "withdraw"})
    assert response.status_code == 200 and Reading.objects.filter(elder=elder).exists()  # not confirmed
    response = client.post(url, {"action": "withdraw", "withdraw_checked": "on"})
    assert response.status_code == 302
    assert (
        not Reading.objects.filter(elder=elder).exists() and not FollowUp.objects.filter(elder=elder).exists()
    )
    assert Consent.objects.get(person=elder).withdrawn_by == staff


# --- sensitive facts: only for the roles that need them, every view logged ----------------------------


def test_staff_edit_her_care_facts_on_the_platform_form(client):
    staff = staff_user()
    elder = ElderFactory()
    client.force_login(staff)
    url = reverse("elders:care_edit", args=[elder.pk])
    assert 'data-testid="needs-consent"' in client.get(url).content.decode()
    consent_record_at_desk(staff=staff, person=elder, purpose=ConsentPurpose.HEALTH)
    response = client.post(url, {"adl_level": "moderate", "receives_dibao": "on", "disability": ""})
    assert response.status_code == 302
    sp = SensitiveProfile.objects.get(person=elder)
    assert sp.adl_level == "moderate" and sp.receives_dibao is True
    assert (
        ElderProfile.objects.get(person=elder).risk_level == "high"
        and "adl_moderate" in ElderProfile.objects.get(person=elder).risk_reasons
    )
    assert AccessLog.objects.filter(user=staff, person=elder, reason="elders:care").exists()
    page = client.get(reverse("elders:elder", args=[elder.pk])).content.decode()
    assert "失能（中度）" in page and "低保" in page
    assert AccessLog.objects.filter(user=staff, person=elder, reason="elders:elder").count() == 1


def test_the_sensitive_form_of_the_platform_has_the_new_fields(client):
    user = UserFactory()
    elder = ElderFactory()
    from portal.community.models import Relation, RelationKind
    from tests.community.factories import PersonFactory

    me = PersonFactory(user=user)
    Relation.objects.create(subject=me, relative=elder, kind=RelationKind.CARER)
    from portal.community.services import consent_grant

    consent_grant(actor=user, person=elder, purpose=ConsentPurpose.HEALTH)
    client.force_login(user)
    url = reverse("community:sensitive_edit", args=[elder.pk])
    html = client.get(url).content.decode()
    assert 'name="adl_level"' in html and 'name="receives_dibao"' in html
    assert client.post(url, {"adl_level": "mild", "receives_dibao": "on"}).status_code == 302
    assert SensitiveProfile.objects.get(person=elder).receives_dibao is True
    # the hook made her profile and her level follow
    assert "adl_mild" in ElderProfile.objects.get(person=elder).risk_reasons
