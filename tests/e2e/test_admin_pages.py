"""Every page of the back office, in Chinese, passes axe and raises no Content Security Policy refusal.

For each model shown in the admin: the changelist, with its filters shown, its add form where staff may
add, the change form of one object where the world below has one, and its export and import pages. The
model list is read from ``admin.site._registry``, so a model registered later is scanned without editing
this file.

The models are scanned in groups of about the same number of pages (one test per group, one signed-in
browser context reused for its pages): an app with many models is split, small apps share a test, so
that ``pytest -n 2`` shares the scans out evenly and no single test holds a worker for a minute.
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

#: About this many pages per test (a page: its load and its axe scan, about a second and a half).
PAGES_PER_GROUP = 20


def _estimated_pages(model) -> int:
    """Changelist and change form, plus the add, export and import pages the admin has for the model."""
    return 2 + sum(_url(model, view) is not None for view in ("add", "export", "import"))


def _groups() -> dict[str, list[type]]:
    """Test id -> models: each app's models in order, cut into runs of about PAGES_PER_GROUP pages; small
    apps are put together. Every registered model is in exactly one group."""
    groups: dict[str, list[type]] = {}
    pending: list[tuple[str, list[type]]] = []  # small apps waiting to fill a group

    def flush_pending():
        if pending:
            groups["+".join(label for label, _ in pending)] = [m for _, models in pending for m in models]
            pending.clear()

    for label, models in REGISTERED.items():
        pages = sum(_estimated_pages(m) for m in models)
        if pages > PAGES_PER_GROUP:
            parts = -(-pages // PAGES_PER_GROUP)
            target = pages / parts
            chunk, size, n = [], 0, 1
            for model in models:
                chunk.append(model)
                size += _estimated_pages(model)
                if size >= target and n < parts:
                    groups[f"{label}-{n}"] = chunk
                    chunk, size, n = [], 0, n + 1
            if chunk:
                groups[f"{label}-{n}"] = chunk
            continue
        if sum(_estimated_pages(m) for _, ms in pending for m in ms) + pages > PAGES_PER_GROUP:
            flush_pending()
        pending.append((label, models))
    flush_pending()
    return groups


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


GROUPS = _groups()
_grouped = [m for models in GROUPS.values() for m in models]
assert len(_grouped) == len(set(_grouped)) == len(admin.site._registry), "every model in one group"


@pytest.mark.parametrize("group", list(GROUPS))
def test_every_admin_page_of_the_app_passes_axe_without_csp_refusals(page, sign_in, world, group):
    sign_in(page, world["staff"])
    scanned = []
    for model in GROUPS[group]:
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
    print(f"{group}: {len(scanned)} pages scanned", *scanned, sep="\n  ")
