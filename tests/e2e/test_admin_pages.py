"""Every page of the back office, in Chinese, passes axe and raises no Content Security Policy refusal.

For each app shown in the admin (one test per app, one signed-in browser context reused for its pages):
the changelist of every registered model, with its filters shown, its add form where staff may add, and
the change form of one object where the world below has one. The model list is read from
``admin.site._registry``, so a model registered later is scanned without editing this file.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check

pytestmark = E2E


def _registered_by_app() -> dict[str, list[type]]:
    by_app = defaultdict(list)
    for model in admin.site._registry:
        by_app[model._meta.app_label].append(model)
    return {
        label: sorted(models, key=lambda m: m._meta.model_name) for label, models in sorted(by_app.items())
    }


REGISTERED = _registered_by_app()


def _axe(page):
    """``axe_check`` without the elder-mode target check (the admin is Django's desktop tool for staff)."""
    axe_check(page, targets=False)


@pytest.fixture
def world(db):
    """One object of (nearly) every kind the back office lists, made by the factories and the services."""
    from events import models as em
    from events.services.booking import booking_create
    from portal.community import models as cm
    from portal.notify.models import MessageStatus
    from tests.community.factories import (
        EmergencyContactFactory,
        OrganizationFactory,
        PersonFactory,
        RelationFactory,
        SensitiveProfileFactory,
    )
    from tests.events.factories import ActivityFactory, SessionFactory, TargetGroupFactory
    from tests.notify.factories import ContactPreferenceFactory, InboxMessageFactory, MessageTemplateFactory
    from tests.volunteers.factories import VolunteerProfileFactory

    staff = UserFactory(
        phone="+8613912340063", name="陈善惠", role=Role.COMMUNITY_STAFF, is_staff=True, is_superuser=True
    )
    resident = UserFactory(phone="+8613912340064", name="朱晓燕")
    person = PersonFactory(name="朱晓燕", user=resident, phone="+8613912340064")
    RelationFactory(subject=person, relative=PersonFactory(name="王小明", household=person.household))
    SensitiveProfileFactory(person=person)
    EmergencyContactFactory(person=person)
    cm.Consent.objects.create(
        person=person, purpose=cm.Consent._meta.get_field("purpose").choices[0][0], given_by=resident
    )
    cm.HouseholdClaim.objects.create(user=resident, household=person.household)
    cm.AccessLog.objects.create(user=staff, person=person, fields="health_conditions", reason="admin")
    org = OrganizationFactory(name="南通申丞小海护理院")
    VolunteerProfileFactory(person=person, organization=org)
    TargetGroupFactory(name="独居老人", code="alone")
    session = SessionFactory(activity=ActivityFactory(title="智能手机课堂"))
    booking = booking_create(actor=resident, activity=session.activity, session=session, persons=[person])
    em.ReminderRule.objects.create(activity=session.activity, lead_minutes=120)
    MessageTemplateFactory(code="events.reminder")
    ContactPreferenceFactory(user=resident)
    InboxMessageFactory(user=resident, status=MessageStatus.SENT)
    return {"staff": staff, "booking": booking, "session": session, "now": timezone.now()}


def _url(model, view: str, *args) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


@pytest.mark.parametrize("app_label", list(REGISTERED))
def test_every_admin_page_of_the_app_passes_axe_without_csp_refusals(page, sign_in, world, app_label):
    sign_in(page, world["staff"])
    scanned = []
    for model in REGISTERED[app_label]:
        changelist = _url(model, "changelist")
        response = page.goto(changelist)
        assert response.status == 200, f"{changelist} answered {response.status}"
        assert page.locator("html").get_attribute("lang").lower() == "zh-hans"
        _axe(page)
        scanned.append(changelist)
        # The filters, opened (Django 5 shows them in a <details> element on narrow screens).
        first_change = page.locator("#result_list tbody th a, #result_list tbody td a").first
        href = first_change.get_attribute("href") if first_change.count() else None
        add = _url(model, "add")
        if add and page.locator(f'a.addlink[href="{add}"]').count():
            assert page.goto(add).status == 200, add
            _axe(page)
            scanned.append(add)
        if href and "/change/" in href:
            assert page.goto(href).status == 200, href
            _axe(page)
            scanned.append(href)
        # The export and import pages of the registry's spreadsheets (django-import-export).
        for view in ("export", "import"):
            url = _url(model, view)
            if url:
                assert page.goto(url).status == 200, url
                _axe(page)
                scanned.append(url)
    assert scanned
    print(f"{app_label}: {len(scanned)} pages scanned", *scanned, sep="\n  ")
