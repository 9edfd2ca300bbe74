"""The 验证码 on a volunteer hours certificate can be checked: each certificate made is stored, the PDF
prints where to check it, and a public page (no sign-in) shows what was issued under the code.

The trial found a certificate whose code nobody could check."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from portal.accounts.models import Role
from portal.volunteers import services
from portal.volunteers.certificate import verification_code
from tests.community.factories import PersonFactory, UserFactory
from tests.volunteers.factories import VolunteerProfileFactory


@pytest.fixture
def staff(db):
    return UserFactory(role=Role.COMMUNITY_STAFF, name="社区工作人员")


@pytest.fixture
def volunteer(db):
    user = UserFactory(role=Role.VOLUNTEER, name="陈志愿")
    return VolunteerProfileFactory(person=PersonFactory(name="陈志英", user=user))


@pytest.fixture
def approved(volunteer, staff):
    for hours in ("2", "1.25"):
        entry = services.hours_credit(
            volunteer=volunteer,
            date=timezone.localdate(),
            hours=Decimal(hours),
            description="马拉松补给站",
        )
        services.hours_approve(actor=staff, entry=entry)
    return volunteer


def _download(client, volunteer):
    client.force_login(volunteer.person.user)
    response = client.get(reverse("volunteers:hours_certificate"))
    assert response.status_code == 200
    client.logout()
    return response


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _code(volunteer) -> str:
    today = timezone.localdate()
    return verification_code(volunteer=volunteer, date_from=today, date_to=today, total=Decimal("3.25"))


def _verify(client, code):
    with translation.override("zh-hans"):
        return client.get(
            reverse("volunteers:certificate_verify"), {"code": code}, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )


def test_the_certificate_made_is_stored_once(client, approved):
    from portal.volunteers.models import Certificate

    _download(client, approved)
    _download(client, approved)  # the same certificate again: the same code, stored once
    certificate = Certificate.objects.get()
    today = timezone.localdate()
    assert certificate.code == _code(approved)
    assert (certificate.volunteer, certificate.name, certificate.hours) == (
        approved,
        "陈志英",
        Decimal("3.25"),
    )
    assert (certificate.date_from, certificate.date_to, certificate.issued_on) == (today, today, today)


def test_the_pdf_prints_where_to_check_it(client, approved):
    text = _pdf_text(_download(client, approved).content)
    assert "/volunteers/certificates/verify/" in text.replace(" ", "").replace("\n", "")
    assert _code(approved) in text


def test_anyone_can_check_the_code_without_signing_in(client, approved):
    _download(client, approved)
    response = _verify(client, _code(approved))
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["certificate"].code == _code(approved)
    assert "陈志英" in page and "3.25" in page and timezone.localdate().isoformat() in page
    with translation.override("zh-hans"):
        assert gettext("This certificate was issued by the community.") in page


def test_the_code_may_be_typed_in_lower_case_with_spaces(client, approved):
    from portal.volunteers.certificate import normalise_code

    _download(client, approved)
    typed = _code(approved).lower().replace("-", " ")
    assert normalise_code(typed) == _code(approved)
    assert _verify(client, typed).context["certificate"] is not None


def test_an_unknown_code_is_not_found(client, approved):
    _download(client, approved)
    response = _verify(client, "ABCD-1234-EF56")
    assert response.status_code == 200 and response.context["certificate"] is None
    page = response.content.decode()
    assert "未找到该证书" in page
    assert "陈志英" not in page


def test_a_code_never_issued_is_not_found_even_if_it_is_right(client, approved):
    """A correct HMAC alone proves nothing: only a certificate the portal made is found."""
    from portal.volunteers.certificate import certificate_find

    assert certificate_find(code=_code(approved)) is None
    assert _verify(client, _code(approved)).context["certificate"] is None


@pytest.mark.parametrize("typed", ["", "ABC", "ABCD-1234-EF56-7890", "验证码"])
def test_a_malformed_code_gets_an_error_next_to_the_field(client, approved, typed):
    response = _verify(client, typed)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["code"]
    page = response.content.decode()
    assert 'data-testid="error-summary"' in page
    assert 'data-testid="certificate-not-found"' not in page


def test_checks_are_rate_limited_by_address(client, approved, settings):
    settings.CERTIFICATE_VERIFY_RATE_LIMIT = "3/m/ip"
    _download(client, approved)
    for _i in range(3):
        assert _verify(client, "ABCD-1234-EF56").status_code == 200
    response = _verify(client, _code(approved))
    assert response.status_code == 429
    assert response.context["certificate"] is None
    page = response.content.decode()
    assert "陈志英" not in page
    with translation.override("zh-hans"):
        assert "请" in response.context["form"].errors["code"][0]


def test_every_page_links_to_the_check_and_issued_certificates_are_read_only_in_the_admin(
    client, approved, staff
):
    from portal.volunteers.models import Certificate

    home = client.get("/")
    assert f'href="{reverse("volunteers:certificate_verify")}"' in home.content.decode()

    _download(client, approved)
    cert = Certificate.objects.get()
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    assert client.get(reverse("admin:volunteers_certificate_changelist")).status_code == 200
    assert client.get(reverse("admin:volunteers_certificate_change", args=[cert.pk])).status_code == 200
    changed = client.post(
        reverse("admin:volunteers_certificate_change", args=[cert.pk]),
        {"code": cert.code, "name": "别人", "hours": "99", "issued_on": "2026-01-01"},
    )
    deleted = client.post(reverse("admin:volunteers_certificate_delete", args=[cert.pk]), {"post": "yes"})
    added = client.get(reverse("admin:volunteers_certificate_add"))
    assert (changed.status_code, deleted.status_code, added.status_code) == (403, 403, 403)
    cert.refresh_from_db()
    assert (cert.name, cert.hours, Certificate.objects.count()) == ("陈志英", Decimal("3.25"), 1)
