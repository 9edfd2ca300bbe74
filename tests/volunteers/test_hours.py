"""The volunteer hours ledger: credit (idempotent), approve / reject (staff, decided once), staff entry,
totals, the pages "my volunteer hours" and "hours to approve", and the certificate PDF in Chinese."""

import datetime
import io
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from portal.accounts.models import Role
from portal.volunteers import selectors, services
from portal.volunteers.certificate import verification_code
from portal.volunteers.models import HoursEntry, HoursStatus
from tests.community.factories import PersonFactory, UserFactory
from tests.volunteers.factories import VolunteerProfileFactory


@pytest.fixture
def staff(db):
    return UserFactory(role=Role.COMMUNITY_STAFF, name="社区工作人员")


@pytest.fixture
def volunteer(db):
    user = UserFactory(role=Role.VOLUNTEER, name="陈志愿")
    return VolunteerProfileFactory(person=PersonFactory(name="陈志愿", user=user))


def _credit(volunteer, hours="2.5", key="", **kw):
    return services.hours_credit(
        volunteer=volunteer,
        date=timezone.localdate(),
        hours=Decimal(hours),
        description="马拉松补给站",
        source_key=key,
        **kw,
    )


def test_credit_is_pending_and_idempotent_on_its_source(volunteer):
    first = _credit(volunteer, key="events.shiftsignup:1")
    again = _credit(volunteer, hours="9", key="events.shiftsignup:1")
    assert again.pk == first.pk
    assert HoursEntry.objects.count() == 1
    assert first.status == HoursStatus.PENDING and first.hours == Decimal("2.50")
    _credit(volunteer)
    _credit(volunteer)  # no source: two separate entries
    assert HoursEntry.objects.count() == 3


@pytest.mark.parametrize("hours", ["0", "-1", "24.5"])
def test_credit_refuses_hours_out_of_range(volunteer, hours):
    with pytest.raises(ValidationError):
        _credit(volunteer, hours=hours)
    assert not HoursEntry.objects.exists()


def test_approve_once_by_staff_with_an_audit_entry(volunteer, staff):
    entry = _credit(volunteer)
    with pytest.raises(PermissionDenied):
        services.hours_approve(actor=volunteer.person.user, entry=entry)
    done = services.hours_approve(actor=staff, entry=entry)
    assert done.status == HoursStatus.APPROVED and done.decided_by == staff and done.decided_at
    with pytest.raises(ValidationError) as exc:
        services.hours_approve(actor=staff, entry=entry)
    assert exc.value.code == "already_decided"
    with pytest.raises(ValidationError):
        services.hours_reject(actor=staff, entry=entry, note="不对")
    entry.refresh_from_db()
    assert entry.status == HoursStatus.APPROVED
    log = LogEntry.objects.get_for_object(entry).filter(action=LogEntry.Action.UPDATE).get()
    assert log.actor == staff and log.changes["status"] == ["pending", "approved"]


def test_reject_needs_a_note(volunteer, staff):
    entry = _credit(volunteer)
    with pytest.raises(ValidationError) as exc:
        services.hours_reject(actor=staff, entry=entry, note="  ")
    assert "note" in exc.value.error_dict
    entry.refresh_from_db()
    assert entry.status == HoursStatus.PENDING
    done = services.hours_reject(actor=staff, entry=entry, note="当天未到岗")
    assert done.status == HoursStatus.REJECTED and done.decision_note == "当天未到岗"


def test_staff_record_hours(volunteer, staff):
    with pytest.raises(PermissionDenied):
        services.hours_record(
            actor=volunteer.person.user,
            volunteer=volunteer,
            date=timezone.localdate(),
            hours=Decimal("1"),
            description="x",
        )
    with pytest.raises(ValidationError):
        services.hours_record(
            actor=staff,
            volunteer=volunteer,
            date=timezone.localdate() + datetime.timedelta(days=1),
            hours=Decimal("1"),
            description="巡逻",
        )
    entry = services.hours_record(
        actor=staff,
        volunteer=volunteer,
        date=timezone.localdate(),
        hours=Decimal("1.5"),
        description="纸质签到表: 巡逻",
    )
    assert entry.status == HoursStatus.PENDING
    approved = services.hours_record(
        actor=staff,
        volunteer=volunteer,
        date=timezone.localdate(),
        hours=Decimal("2"),
        description="巡逻",
        approve=True,
    )
    assert approved.status == HoursStatus.APPROVED


def test_totals_and_pending_list_flagged_first(volunteer, staff):
    a = _credit(volunteer, hours="2")
    b = _credit(volunteer, hours="1.25")
    c = _credit(volunteer, hours="3", flagged=True, flag_reason="自动签退")
    services.hours_approve(actor=staff, entry=a)
    summary = selectors.hours_of(volunteer=volunteer)
    assert summary.approved == Decimal("2") and summary.pending == Decimal("4.25")
    assert len(summary.entries) == 3
    assert list(selectors.hours_pending_for(viewer=staff)) == [c, b]
    assert not selectors.hours_pending_for(viewer=volunteer.person.user).exists()


def test_my_hours_page_shows_totals_and_pending(client, volunteer, staff, django_assert_max_num_queries):
    services.hours_approve(actor=staff, entry=_credit(volunteer, hours="2"))
    _credit(volunteer, hours="1")
    client.force_login(volunteer.person.user)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("volunteers:my_hours"))
    assert response.status_code == 200
    body = response.content.decode()
    with translation.override("zh-hans"):
        assert gettext("Pending approval") in body
        assert gettext("Download certificate (PDF)") in body


def test_someone_who_is_not_a_volunteer_is_told_so(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("volunteers:my_hours"))
    assert response.status_code == 200
    assert b'data-testid="not-a-volunteer"' in response.content
    assert client.get(reverse("volunteers:hours_certificate")).status_code == 404


def test_hours_to_approve_is_staff_only(client, volunteer, staff):
    entry = _credit(volunteer)
    client.force_login(volunteer.person.user)
    assert client.get(reverse("volunteers:hours_pending")).status_code == 404
    assert client.post(reverse("volunteers:hours_approve", args=[entry.pk])).status_code == 404
    entry.refresh_from_db()
    assert entry.status == HoursStatus.PENDING


def test_staff_approve_reject_and_bulk_on_the_page(client, volunteer, staff):
    a, b, c, d = (_credit(volunteer, hours=h) for h in ("1", "2", "3", "4"))
    client.force_login(staff)
    page = client.get(reverse("volunteers:hours_pending"))
    assert page.status_code == 200 and f'data-testid="pending-{a.pk}"'.encode() in page.content
    assert client.post(reverse("volunteers:hours_approve", args=[a.pk])).status_code == 302
    # a rejection without a note: the error next to the note field, nothing changed
    bad = client.post(reverse("volunteers:hours_reject", args=[b.pk]), {f"r{b.pk}-note": ""})
    assert bad.status_code == 400
    with translation.override("zh-hans"):
        assert gettext("Say why these hours are rejected.") in bad.content.decode()
    b.refresh_from_db()
    assert b.status == HoursStatus.PENDING
    client.post(reverse("volunteers:hours_reject", args=[b.pk]), {f"r{b.pk}-note": "重复登记"})
    client.post(
        reverse("volunteers:hours_approve_bulk"), {"entry_ids": [str(c.pk), str(d.pk), str(a.pk), "x"]}
    )
    statuses = dict(HoursEntry.objects.values_list("pk", "status"))
    assert statuses == {a.pk: "approved", b.pk: "rejected", c.pk: "approved", d.pk: "approved"}
    # an entry already decided is no longer on the page: 404
    assert client.post(reverse("volunteers:hours_approve", args=[a.pk])).status_code == 404


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_certificate_pdf_in_chinese_counts_only_approved_hours(client, volunteer, staff):
    services.hours_approve(actor=staff, entry=_credit(volunteer, hours="2"))
    services.hours_approve(actor=staff, entry=_credit(volunteer, hours="1.25"))
    _credit(volunteer, hours="7")  # pending: not on the certificate
    client.force_login(volunteer.person.user)
    response = client.get(reverse("volunteers:hours_certificate"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = _pdf_text(response.content)
    assert "陈志愿" in text
    assert "马拉松补给站" in text
    assert "3.25" in text
    assert "7.00" not in text
    with translation.override("zh-hans"):
        title = gettext("Volunteer service hours certificate")
        community = gettext("Yongxing Community")
    assert title.replace(" ", "") in text.replace(" ", "")
    assert community in text
    today = timezone.localdate()
    code = verification_code(volunteer=volunteer, date_from=today, date_to=today, total=Decimal("3.25"))
    assert code in text


def test_certificate_period_is_validated(client, volunteer):
    client.force_login(volunteer.person.user)
    response = client.get(
        reverse("volunteers:hours_certificate"), {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )
    assert response.status_code == 400
    with translation.override("zh-hans"):
        assert gettext("The end of the period must not be before its start.") in response.content.decode()


def test_admin_ledger_actions_and_staff_entry(client, volunteer):
    admin_user = UserFactory(role=Role.COMMUNITY_STAFF, is_staff=True, is_superuser=True)
    a, b = _credit(volunteer, hours="1"), _credit(volunteer, hours="2")
    client.force_login(admin_user)
    url = reverse("admin:volunteers_hoursentry_changelist")
    assert client.get(url, {"status": "pending", "flagged__exact": "0", "q": "陈"}).status_code == 200
    client.post(url, {"action": "approve_selected", "_selected_action": [a.pk]})
    client.post(url, {"action": "reject_selected", "_selected_action": [b.pk]})
    assert dict(HoursEntry.objects.values_list("pk", "status")) == {a.pk: "approved", b.pk: "rejected"}
    add = client.post(
        reverse("admin:volunteers_hoursentry_add"),
        {
            "volunteer": volunteer.pk,
            "date": timezone.localdate().isoformat(),
            "hours": "1.5",
            "description": "纸质签到表",
        },
    )
    assert add.status_code == 302, add.content.decode()[:2000]
    typed = HoursEntry.objects.get(description="纸质签到表")
    assert typed.status == HoursStatus.PENDING and typed.hours == Decimal("1.50")
    assert client.get(reverse("admin:volunteers_hoursentry_change", args=[typed.pk])).status_code == 200
