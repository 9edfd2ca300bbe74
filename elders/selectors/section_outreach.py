"""The 'outreach' section of the elder page: her contact plan, her last contacts, her open needs, and the
buttons to log a contact and to change the plan.

``elder_section(viewer=, elder=, request=None)`` returns ``{"outreach": {...}}``, the context of
``templates/elders/outreach/_elder_section.html``, at a constant number of queries (three); an empty dict
hides it. Shown to those who may log a contact for her (staff, her grid worker, the person responsible,
her paired helper); her family and partner staff do not see it.
"""

from __future__ import annotations

from django.utils import timezone

from ..models import ContactPlan
from ..services.outreach import may_log_contact, may_manage_plan
from .outreach import RosterRow, open_needs, recent_contacts

LAST_CONTACTS = 5


def elder_section(*, viewer, elder, request=None) -> dict:
    plan = ContactPlan.objects.filter(elder=elder).select_related("assigned_to").first()
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
