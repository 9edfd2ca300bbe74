"""The 'partners' section of the elder page: her service plans (running ones first) and her last deliveries.

``elder_section(viewer=, elder=, request=None)`` returns the context for
``templates/elders/partners/_elder_section.html``, at a constant number of queries (two); an empty dict
hides it. Shown to community staff (all plans, with the links to add, change and end them), to her grid
worker (read-only) and to the staff of an organisation serving her (that organisation's plans only, with
a link to log a delivery). Anyone else (a volunteer, her family) does not see it.
"""

from __future__ import annotations

from django.utils import timezone

from elders.services.partners import may_log_deliveries, may_manage_partner_services

from .partners import deliveries_visible_to, plans_visible_to

#: How many of her last deliveries the section lists.
LAST_DELIVERIES = 10


def _in_her_grid(viewer, elder) -> bool:
    household = getattr(elder, "household", None)
    return bool(household is not None and household.building.grid_id == viewer.grid_id)


def elder_section(*, viewer, elder, request=None) -> dict:
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return {}
    if viewer.is_community_staff:
        pass
    elif viewer.is_partner_staff and viewer.organization_id:
        pass  # her organisation's plans only (the scope below); nothing at all when there is none
    elif viewer.is_grid_worker and viewer.grid_id and _in_her_grid(viewer, elder):
        pass
    else:
        return {}
    today = timezone.localdate()
    # Her plans, with their service and organisation joined in: not her again with her address (the
    # page has her), whose five models would be built for each plan (issue 13).
    plans = list(
        plans_visible_to(viewer=viewer)
        .select_related(None)
        .select_related("service", "organization")
        .filter(elder=elder)
        .order_by("-starts_on", "pk")
    )
    if viewer.is_partner_staff and not plans:
        return {}
    deliveries = (
        list(deliveries_visible_to(viewer=viewer).filter(elder=elder)[:LAST_DELIVERIES]) if plans else []
    )
    for plan in plans:
        plan.elder = elder
        plan.running = plan.starts_on <= today and (plan.ends_on is None or plan.ends_on >= today)
    plans.sort(key=lambda p: not p.running)
    return {
        "partners_elder": elder,
        "partners_plans": plans,
        "partners_deliveries": deliveries,
        "partners_may_manage": may_manage_partner_services(viewer),
        "partners_may_log": may_log_deliveries(viewer),
    }
