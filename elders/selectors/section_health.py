"""The 'health' section of the elder page: her readings as charts (with the same figures as tables) and
her follow-ups still to do.

Shown only to viewers whose role needs health data (``may_see_sensitive``); without her health consent it
says so and shows nothing else. Each view of the readings is logged (AccessLog). A constant number of
queries: the role check, the consent, the readings, the thresholds, the follow-ups count, the log insert.
"""

from __future__ import annotations

from portal.accounts.ratelimits import client_ip
from portal.community.models import ConsentPurpose
from portal.community.selectors import has_consent, may_see_sensitive, sensitive_access_log

from ..models import FollowUp, FollowUpStatus
from .health import elder_readings

#: Readings shown in the section (the readings page has more).
SECTION_READINGS = 20


def elder_section(*, viewer, elder, request=None) -> dict:
    if not may_see_sensitive(viewer=viewer, person=elder):
        return {}
    # The elder page reads her consent with her (``elder_page_get``'s ``health_consent``).
    consent = getattr(elder, "health_consent", None)
    if consent is None:
        consent = has_consent(person=elder, purpose=ConsentPurpose.HEALTH)
    if not consent:
        return {"health": {"consent": False, "elder_id": elder.pk}}
    view = elder_readings(elder=elder, limit=SECTION_READINGS)
    if view.readings:
        sensitive_access_log(
            viewer=viewer,
            persons=[elder],
            fields="health_readings",
            where="elders:elder",
            ip=client_ip(request) if request is not None else None,
        )
    open_followups = FollowUp.objects.filter(elder=elder, status=FollowUpStatus.OPEN).count()
    return {"health": {"consent": True, "elder_id": elder.pk, "view": view, "open_followups": open_followups}}
