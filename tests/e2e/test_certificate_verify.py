"""An employer checks a volunteer's hours certificate on the public page, without an account: a code
mistyped, a code that was never issued, then the code printed on the paper."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import Role
from portal.volunteers import services
from portal.volunteers.certificate import certificate_issue
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, error_for, go, submit
from tests.community.factories import PersonFactory
from tests.volunteers.factories import VolunteerProfileFactory

pytestmark = E2E


def _issued_certificate():
    staff = UserFactory(phone="+8613912340061", name="陈善惠", role=Role.COMMUNITY_STAFF)
    user = UserFactory(phone="+8613912340062", name="孙秀英", role=Role.VOLUNTEER)
    volunteer = VolunteerProfileFactory(person=PersonFactory(name="孙秀英", user=user))
    entries = []
    for hours in ("3", "2.5"):
        entry = services.hours_credit(
            volunteer=volunteer, date=timezone.localdate(), hours=Decimal(hours), description="重阳敬老服务"
        )
        entries.append(services.hours_approve(actor=staff, entry=entry))
    return certificate_issue(volunteer=volunteer, entries=entries)


def test_an_employer_checks_a_certificate_code(page):
    certificate = _issued_certificate()
    go(page, reverse("volunteers:certificate_verify"))
    assert page.locator("h1").inner_text() == "查验志愿服务时长证明"
    axe_check(page)

    # Mistyped: too short. The reason is next to the field and in the summary.
    page.fill("input[name=code]", "ABCD-12")
    submit(page, "code")
    assert "12位" in error_for(page, "code")
    assert page.get_by_test_id("error-summary").is_visible()
    axe_check(page)

    # Well formed, but never issued.
    page.fill("input[name=code]", "ABCD-1234-EF56")
    submit(page, "code")
    assert "未找到该证书" in page.get_by_test_id("certificate-not-found").inner_text()
    axe_check(page)

    # The code from the paper, typed in lower case without dashes.
    page.fill("input[name=code]", certificate.code.lower().replace("-", ""))
    submit(page, "code")
    found = page.get_by_test_id("certificate-found")
    assert "该证明由本社区开具" in found.inner_text()
    assert page.get_by_test_id("certificate-name").inner_text() == "孙秀英"
    assert "5.50" in page.get_by_test_id("certificate-hours").inner_text()
    assert page.get_by_test_id("certificate-issued").inner_text() == timezone.localdate().isoformat()
    axe_check(page)
