"""Reads of the partners piece, scoped to the viewer.

* community staff: every plan and delivery;
* partner staff: her organisation's plans and deliveries (read-only, but she logs deliveries);
* a grid worker: the plans and deliveries of the elders of her grid (read-only);
* anyone else: none (the elder page's section is hidden for her).

Every list joins what it shows (elder, address, service, organisation), so a page costs the same number of
queries at 3 plans and at 3,000.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from elders.models import Delivery, PlanPeriod, Service, ServicePlan
from elders.services.partners import active_on_q, day_range, period_bounds, plans_loggable_by

_PLAN_JOINS = (
    "elder__household__building__grid",
    "elder__household__building__estate",
    "service",
    "organization",
)


def _scope_q(viewer, prefix: str = "") -> Q | None:
    """The rows of plans/deliveries the viewer may read; ``None`` means all, ``Q(pk__in=[])`` none."""
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return Q(pk__in=[])
    if viewer.is_community_staff:
        return None
    if viewer.is_partner_staff and viewer.organization_id:
        return Q(**{f"{prefix}organization_id": viewer.organization_id})
    if viewer.is_grid_worker and viewer.grid_id:
        return Q(**{f"{prefix}elder__household__building__grid_id": viewer.grid_id})
    return Q(pk__in=[])


def may_see_partner_pages(viewer) -> bool:
    return bool(
        viewer is not None
        and viewer.is_authenticated
        and (
            viewer.is_community_staff
            or (viewer.is_partner_staff and viewer.organization_id)
            or (viewer.is_grid_worker and viewer.grid_id)
        )
    )


def plans_visible_to(*, viewer) -> QuerySet[ServicePlan]:
    qs = ServicePlan.objects.select_related(*_PLAN_JOINS)
    scope = _scope_q(viewer)
    return qs if scope is None else qs.filter(scope)


def plan_get_for(*, viewer, plan_id) -> ServicePlan:
    """One plan the viewer may read, or Http404 (another organisation's plan, an id typed by hand)."""
    try:
        return plans_visible_to(viewer=viewer).get(pk=plan_id)
    except (ServicePlan.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such plan.") from None


def plan_loggable_get(*, viewer, plan_id, today: datetime.date | None = None) -> ServicePlan:
    """A plan running today that the viewer may log a delivery for, or Http404."""
    try:
        return plans_loggable_by(actor=viewer, today=today).select_related(*_PLAN_JOINS).get(pk=plan_id)
    except (ServicePlan.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such plan.") from None


def plans_list(*, viewer, organization=None, service=None, state: str = "") -> QuerySet[ServicePlan]:
    """The plans list: running plans first, filtered by organisation and service."""
    qs = plans_visible_to(viewer=viewer)
    if organization is not None:
        qs = qs.filter(organization=organization)
    if service is not None:
        qs = qs.filter(service=service)
    today = timezone.localdate()
    if state == "running":
        qs = qs.filter(active_on_q(today))
    elif state == "ended":
        qs = qs.filter(ends_on__lt=today)
    elif state == "flagged":
        qs = qs.filter(missed_flagged_on__isnull=False)
    return qs.order_by("service__order", "elder__name", "pk")


def flagged_plans_for(*, viewer) -> QuerySet[ServicePlan]:
    return (
        plans_visible_to(viewer=viewer)
        .filter(missed_flagged_on__isnull=False)
        .order_by("-missed_flagged_on", "organization__name", "elder__name", "pk")
    )


def _current_period_q(today: datetime.date) -> Q:
    """Deliveries in the current period of their plan (today, this week, this month)."""
    q = Q()
    for period in PlanPeriod.values:
        lo, hi = day_range(*period_bounds(period, today))
        q |= Q(period=period, deliveries__delivered_at__gte=lo, deliveries__delivered_at__lt=hi)
    return q


def round_plans_for(*, viewer, today: datetime.date | None = None, service=None) -> list[ServicePlan]:
    """The plans of the delivery round page: those the viewer may log today, each with ``done`` (deliveries
    in its current period) and ``due`` (how many are still to come in it), due ones first. One query."""
    today = today or timezone.localdate()
    qs = plans_loggable_by(actor=viewer, today=today).select_related(*_PLAN_JOINS)
    if service is not None:
        qs = qs.filter(service=service)
    plans = list(
        qs.annotate(done=Count("deliveries", filter=_current_period_q(today))).order_by(
            "service__order", "elder__household__building__number", "elder__household__room", "elder__name"
        )
    )
    for plan in plans:
        plan.due = max(plan.times - plan.done, 0)
    plans.sort(key=lambda p: p.due == 0)  # stable: the order above within each group
    return plans


def services_in_round(*, viewer, today: datetime.date | None = None) -> QuerySet[Service]:
    """The services of the plans the viewer may log today (the round page's filter)."""
    ids = plans_loggable_by(actor=viewer, today=today).values("service_id")
    return Service.objects.filter(pk__in=ids).order_by("order", "name")


def deliveries_visible_to(*, viewer) -> QuerySet[Delivery]:
    qs = Delivery.objects.select_related("elder", "service", "organization", "delivered_by")
    scope = _scope_q(viewer)
    return qs if scope is None else qs.filter(scope)


def ledger_rows(*, viewer, start: datetime.date, end: datetime.date) -> list[dict]:
    """The monthly ledger (台账): person-times and elders served for each service and organisation in the
    period (local dates, both included). One aggregate query."""
    lo, hi = day_range(start, end)
    qs = Delivery.objects.filter(delivered_at__gte=lo, delivered_at__lt=hi)
    scope = _scope_q(viewer)
    if scope is not None:
        qs = qs.filter(scope)
    return list(
        qs.values("service__name", "service__order", "organization__name")
        .annotate(times=Count("id"), elders=Count("elder", distinct=True))
        .order_by("service__order", "service__name", "organization__name")
    )


def ledger_totals(*, viewer, start: datetime.date, end: datetime.date) -> dict:
    lo, hi = day_range(start, end)
    qs = Delivery.objects.filter(delivered_at__gte=lo, delivered_at__lt=hi)
    scope = _scope_q(viewer)
    if scope is not None:
        qs = qs.filter(scope)
    return qs.aggregate(times=Count("id"), elders=Count("elder", distinct=True))
