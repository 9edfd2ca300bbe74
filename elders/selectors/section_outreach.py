"""The 'outreach' section of the elder page: her contact plan, her last contacts, her open needs, and the
buttons to log a contact and to change the plan.

``elder_section(viewer=, elder=, request=None)`` returns ``{"outreach": {...}}``, the context of
``templates/elders/outreach/_elder_section.html``, at a constant number of queries (three); an empty dict
hides it. Shown to those who may log a contact for her (staff, her grid worker, the person responsible,
her paired helper); her family and partner staff do not see it.
"""

from __future__ import annotations

from django.utils import timezone

from portal.community.models import Person

from ..models import ContactPlan
from ..services.outreach import may_log_contact, may_manage_plan
from .outreach import RosterRow, open_needs, recent_contacts

LAST_CONTACTS = 5


def _plan_of(elder) -> ContactPlan | None:
    """Her contact plan (with who holds it): as the elder page read it with her (``elder_page_get``),
    else one query."""
    cached = Person.contact_plan.related
    if getattr(elder, "read_for_page", False) and cached.is_cached(elder):
        return cached.get_cached_value(elder)
    return ContactPlan.objects.filter(elder=elder).select_related("assigned_to").first()


def elder_section(*, viewer, elder, request=None) -> dict:
    plan = _plan_of(elder)
    if not may_log_contact(viewer=viewer, elder=elder, plan=plan):
        return {}
    today = timezone.localdate()
    return {
        "outreach": {
            "elder_id": elder.pk,
            "plan": plan,
            "row": RosterRow(plan=plan, elder=elder, days_late=(today - plan.due_on).days) if plan else None,
            "logs": recent_contacts(elder=elder, limit=LAST_CONTACTS),
            "needs": open_needs(elder=elder),
            "can_log": True,
            "can_plan": may_manage_plan(viewer=viewer, elder=elder),
        }
    }
