"""Writes of the partners piece: the service catalogue, service plans per elder, deliveries logged by partner
staff (one by one or a whole delivery round at once), and the daily check for missed deliveries.

Who may do what:

* community staff keep the catalogue and the plans (create, change, end);
* partner staff log deliveries for the plans of their own organisation only; community staff may log one
  at the desk for any plan (a phone call from the nursing home).

Every function is keyword-only, runs in one transaction, records the actor for the audit trail
(django-auditlog) and refuses with a translated ``ValidationError`` naming the form field, so that nothing
is saved half-way.

Periods (``PlanPeriod``): a day, a week (Monday to Sunday) or a calendar month, in local time
(Asia/Shanghai). A plan "3 times a week" expects three deliveries between Monday and Sunday.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from elders.models import NOTE_MAX, Delivery, PlanPeriod, Service, ServicePlan
from portal.accounts.models import Role, User
from portal.audit import set_actor
from portal.community.models import Organization, OrganizationKind, Person

#: The kinds of organisation that provide services to elders (a school or an employer does not).
PARTNER_KINDS = (
    OrganizationKind.NURSING_HOME,
    OrganizationKind.HEALTH_CENTRE,
    OrganizationKind.SOCIAL_ORGANIZATION,
)
#: The most deliveries a plan may ask for in one period (three meals a day, every day of a month).
TIMES_MAX = 93
#: A delivery time a few minutes ahead of the server's clock (a phone's clock) is still "now".
CLOCK_SLACK = datetime.timedelta(minutes=5)
#: The message template telling about missed deliveries (shipped by migration 0003_partners).
MISSED_TEMPLATE = "elders.plan_missed"
#: The longest round the round page takes at once.
ROUND_MAX = 200


# --- periods -------------------------------------------------------------------------------------------


def period_bounds(period: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the period (day, Monday-to-Sunday week, calendar month) holding ``day``."""
    if period == PlanPeriod.DAY:
        return day, day
    if period == PlanPeriod.WEEK:
        start = day - datetime.timedelta(days=day.weekday())
        return start, start + datetime.timedelta(days=6)
    start = day.replace(day=1)
    following = (start + datetime.timedelta(days=32)).replace(day=1)
    return start, following - datetime.timedelta(days=1)


def last_complete_period(period: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last period of that kind that is over by ``today``: yesterday, last week, last month."""
    current_start, _end = period_bounds(period, today)
    return period_bounds(period, current_start - datetime.timedelta(days=1))


def day_range(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The aware instants [start 00:00, the day after end 00:00) in local time."""
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


def active_on_q(day: datetime.date, prefix: str = "") -> Q:
    """Plans running on ``day``."""
    return Q(**{f"{prefix}starts_on__lte": day}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": day})
    )


def partner_organizations():
    """The organisations a plan may name: active nursing homes, health centres and social organisations."""
    return Organization.objects.filter(is_active=True, kind__in=PARTNER_KINDS)


# --- who may -------------------------------------------------------------------------------------------


def may_manage_partner_services(user) -> bool:
    """The catalogue and the plans are kept by community staff."""
    return bool(user is not None and user.is_authenticated and user.is_community_staff)


def may_log_deliveries(user) -> bool:
    """Partner staff (for their organisation) and community staff (at the desk)."""
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_community_staff or (user.is_partner_staff and user.organization_id))
    )


def _require_manager(actor) -> None:
    if not may_manage_partner_services(actor):
        raise PermissionDenied


# --- the catalogue ---------------------------------------------------------------------------------------


def _service_checks(*, name: str, description: str, exclude_pk=None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the service a name.")})
    if len(name) > 50:
        raise ValidationError({"name": _("Keep the name under 50 characters.")})
    if len(description or "") > 300:
        raise ValidationError({"description": _("Keep the description under 300 characters.")})
    clash = Service.objects.filter(name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": _("The catalogue already has a service with this name.")})
    return name


def service_create(*, actor, name: str, description: str = "", order: int = 100) -> Service:
    """Add a service to the catalogue (its code is made up here; staff never type one)."""
    _require_manager(actor)
    with transaction.atomic(), set_actor(actor):
        name = _service_checks(name=name, description=description)
        return Service.objects.create(
            code=f"service-{secrets.token_hex(4)}", name=name, description=description or "", order=order
        )


def service_update(*, actor, service: Service, name: str, description: str = "", order: int = 100) -> Service:
    _require_manager(actor)
    with transaction.atomic(), set_actor(actor):
        service = Service.objects.select_for_update().get(pk=service.pk)
        service.name = _service_checks(name=name, description=description, exclude_pk=service.pk)
        service.description = description or ""
        service.order = order
        service.save(update_fields=["name", "description", "order"])
        return service


def service_set_active(*, actor, service: Service, active: bool) -> Service:
    """Deactivate (no new plans name it; running plans go on) or reactivate a service."""
    _require_manager(actor)
    with transaction.atomic(), set_actor(actor):
        service = Service.objects.select_for_update().get(pk=service.pk)
        if service.is_active != active:
            service.is_active = active
            service.save(update_fields=["is_active"])
        return service


# --- plans -----------------------------------------------------------------------------------------------


def _plan_checks(
    *,
    elder: Person,
    service: Service,
    organization: Organization,
    times: int,
    period: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    notes: str,
    plan: ServicePlan | None = None,
) -> None:
    errors: dict[str, list[str]] = {}
    if service is None or (not service.is_active and (plan is None or plan.service_id != service.pk)):
        errors.setdefault("service", []).append(
            _("This service is no longer offered. Choose one from the catalogue.")
        )
    if organization is None or not partner_organizations().filter(pk=organization.pk).exists():
        errors.setdefault("organization", []).append(
            _("Choose a partner organisation that provides services to elders.")
        )
    if period not in PlanPeriod.values:
        errors.setdefault("period", []).append(_("Choose a day, a week or a month."))
    if not isinstance(times, int) or not 1 <= times <= TIMES_MAX:
        errors.setdefault("times", []).append(
            _("Enter how many times, from 1 to %(max)d.") % {"max": TIMES_MAX}
        )
    if starts_on is None:
        errors.setdefault("starts_on", []).append(_("Say from when the plan runs."))
    elif ends_on is not None and ends_on < starts_on:
        errors.setdefault("ends_on", []).append(_("The plan cannot end before it starts."))
    if len(notes or "") > 300:
        errors.setdefault("notes", []).append(_("Keep the notes under %(max)d characters.") % {"max": 300})
    if errors:
        raise ValidationError(errors)
    if plan is not None and ends_on is not None:
        last = plan.deliveries.order_by("-delivered_at").values_list("delivered_at", flat=True).first()
        if last is not None and timezone.localtime(last).date() > ends_on:
            raise ValidationError(
                {
                    "ends_on": _("Deliveries are logged up to %(day)s: end the plan on that day or later.")
                    % {"day": timezone.localtime(last).date().isoformat()}
                }
            )
    overlapping = ServicePlan.objects.filter(elder=elder, service=service).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
    )
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    if plan is not None:
        overlapping = overlapping.exclude(pk=plan.pk)
    if overlapping.exists():
        raise ValidationError(
            {"service": _("She already has a plan for this service in that time. Change that plan instead.")}
        )


def plan_create(
    *,
    actor,
    elder: Person,
    service: Service,
    organization: Organization,
    times: int,
    period: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    notes: str = "",
) -> ServicePlan:
    """A service plan for an elder; the elder joins the organisation's clients (``Person.served_by``)."""
    _require_manager(actor)
    with transaction.atomic(), set_actor(actor):
        elder = Person.objects.select_for_update().get(pk=elder.pk)
        _plan_checks(
            elder=elder,
            service=service,
            organization=organization,
            times=times,
            period=period,
            starts_on=starts_on,
            ends_on=ends_on,
            notes=notes,
        )
        plan = ServicePlan.objects.create(
            elder=elder,
            service=service,
            organization=organization,
            times=times,
            period=period,
            starts_on=starts_on,
            ends_on=ends_on,
            notes=notes or "",
            created_by=actor,
        )
        elder.served_by.add(organization)
        return plan


def plan_update(
    *,
    actor,
    plan: ServicePlan,
    service: Service,
    organization: Organization,
    times: int,
    period: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    notes: str = "",
) -> ServicePlan:
    """Change a plan. A new organisation gains the elder as a client; the old one keeps her (she may have
    other plans there, and its delivery history stays readable to it)."""
    _require_manager(actor)
    with transaction.atomic(), set_actor(actor):
        plan = ServicePlan.objects.select_for_update().select_related("elder").get(pk=plan.pk)
        _plan_checks(
            elder=plan.elder,
            service=service,
            organization=organization,
            times=times,
            period=period,
            starts_on=starts_on,
            ends_on=ends_on,
            notes=notes,
            plan=plan,
        )
        if plan.deliveries.exists() and (
            plan.service_id != service.pk or plan.organization_id != organization.pk
        ):
            raise ValidationError(
                _(
                    "Deliveries are already logged for this plan: end it and create a new one for another "
                    "service or organisation."
                )
            )
        plan.service, plan.organization = service, organization
        plan.times, plan.period = times, period
        plan.starts_on, plan.ends_on, plan.notes = starts_on, ends_on, notes or ""
        plan.save()
        plan.elder.served_by.add(organization)
        return plan


def plan_end(*, actor, plan: ServicePlan, ends_on: datetime.date) -> ServicePlan:
    """End a plan on a day (the last day it runs)."""
    _require_manager(actor)
    with transaction.atomic(), set_actor(actor):
        plan = ServicePlan.objects.select_for_update().get(pk=plan.pk)
        if ends_on is None:
            raise ValidationError({"ends_on": _("Say on which day the plan ends.")})
        if ends_on < plan.starts_on:
            raise ValidationError({"ends_on": _("The plan cannot end before it starts.")})
        last = plan.deliveries.order_by("-delivered_at").values_list("delivered_at", flat=True).first()
        if last is not None and timezone.localtime(last).date() > ends_on:
            raise ValidationError(
                {
                    "ends_on": _("Deliveries are logged up to %(day)s: end the plan on that day or later.")
                    % {"day": timezone.localtime(last).date().isoformat()}
                }
            )
        plan.ends_on = ends_on
        plan.save(update_fields=["ends_on"])
        return plan


# --- deliveries ------------------------------------------------------------------------------------------


def plans_loggable_by(*, actor, today: datetime.date | None = None):
    """The plans running today that ``actor`` may log deliveries for: her organisation's (partner staff),
    every plan (community staff), none otherwise."""
    today = today or timezone.localdate()
    if not may_log_deliveries(actor):
        return ServicePlan.objects.none()
    qs = ServicePlan.objects.filter(active_on_q(today), elder__is_active=True)
    if actor.is_community_staff:
        return qs
    served = Person.served_by.through.objects.filter(organization_id=actor.organization_id)
    return qs.filter(organization_id=actor.organization_id, elder_id__in=served.values("person_id"))


def new_round_key() -> str:
    return uuid.uuid4().hex


def delivery_round_log(
    *,
    actor,
    plan_ids: Iterable[int],
    when: datetime.datetime | None = None,
    what: str = "",
    notes: str = "",
    round_key: str = "",
) -> list[Delivery]:
    """Log one delivery for each plan of ``plan_ids`` at ``when`` (now by default; a time today, not in
    the future), all under the same ``round_key``. Returns the deliveries written by this call.

    Every plan must be one the actor may log (her organisation's, running today): one that is not (another
    organisation's client, a forged id, an ended plan) refuses the whole round and nothing is saved. A
    plan already logged under this round key (the same round submitted twice) is left as it is, so a
    double submit logs nothing twice; the plans are locked while this is decided."""
    if not may_log_deliveries(actor):
        raise PermissionDenied
    now = timezone.now()
    today = timezone.localdate(now)
    when = when or now
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    errors: dict[str, list[str]] = {}
    if timezone.localtime(when).date() != today or when > now + CLOCK_SLACK:
        errors.setdefault("when", []).append(_("Choose a time today, no later than now."))
    if len(what or "") > 200:
        errors.setdefault("what", []).append(_("Keep it under %(max)d characters.") % {"max": 200})
    if len(notes or "") > NOTE_MAX:
        errors.setdefault("notes", []).append(
            _("Keep the notes under %(max)d characters.") % {"max": NOTE_MAX}
        )
    try:
        ids = sorted({int(pk) for pk in plan_ids})
    except (TypeError, ValueError):
        ids = None
    if not ids:
        errors.setdefault("plans", []).append(_("Tick at least one elder."))
    elif len(ids) > ROUND_MAX:
        errors.setdefault("plans", []).append(
            _("Log at most %(max)d deliveries at once.") % {"max": ROUND_MAX}
        )
    if errors:
        raise ValidationError(errors)
    round_key = (round_key or "")[:40] or new_round_key()
    with transaction.atomic(), set_actor(actor):
        plans = list(
            plans_loggable_by(actor=actor, today=today)
            .filter(pk__in=ids)
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        if len(plans) != len(ids):
            raise ValidationError(
                {
                    "plans": _(
                        "Some of these elders are not on your organisation's plans for today. Nothing was "
                        "logged: reload the page and try again."
                    )
                }
            )
        done = set(
            Delivery.objects.filter(round_key=round_key, plan_id__in=ids).values_list("plan_id", flat=True)
        )
        written = []
        for plan in plans:
            if plan.pk in done:
                continue
            written.append(
                Delivery.objects.create(
                    plan=plan,
                    elder_id=plan.elder_id,
                    service_id=plan.service_id,
                    organization_id=plan.organization_id,
                    delivered_at=when,
                    delivered_by=actor,
                    what=what or "",
                    notes=notes or "",
                    round_key=round_key,
                )
            )
        return written


def delivery_log(
    *,
    actor,
    plan: ServicePlan,
    when: datetime.datetime | None = None,
    what: str = "",
    notes: str = "",
    round_key: str = "",
) -> Delivery | None:
    """One delivery for one plan (the single-delivery form): a round of one. ``None`` when this form was
    already submitted (same key)."""
    written = delivery_round_log(
        actor=actor, plan_ids=[plan.pk], when=when, what=what, notes=notes, round_key=round_key
    )
    return written[0] if written else None


# --- missed deliveries -------------------------------------------------------------------------------------


def _period_label(start: datetime.date, end: datetime.date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} – {end.isoformat()}"


def plans_check_missed(*, today) -> int:
    """Flag the plans with missed deliveries and tell the organisation and community staff, once per plan
    and period; returns how many plans are flagged.

    For each plan running through the whole of its last complete period (yesterday for a daily plan,
    last Monday-to-Sunday for a weekly one, last month for a monthly one), compare the deliveries logged in
    that period with ``times``. A plan short of its count is flagged (``missed_flagged_on`` = today,
    ``missed_count`` = how many were missed) and its organisation's staff and community staff are told
    through the outbox, with a key naming the plan and the period, so that no one is told twice however
    often this runs. A flag stays while its period is the last complete one and is cleared once a later
    period is over without a shortfall (or the plan no longer runs).

    Returns how many plans this call flagged (a second run on the same day flags none). Queries: a constant
    number whatever the number of plans (the shortfall, one update to clear, one to flag, the recipients,
    the outbox batch)."""
    bounds = {p: last_complete_period(p, today) for p in PlanPeriod.values}
    covering = Q()
    in_period = Q()
    evaluated = Q()  # flagged before the period's end: the flag is of an earlier period
    for period, (start, end) in bounds.items():
        lo, hi = day_range(start, end)
        covering |= Q(period=period, starts_on__lte=start) & (Q(ends_on__isnull=True) | Q(ends_on__gte=end))
        in_period |= Q(period=period, deliveries__delivered_at__gte=lo, deliveries__delivered_at__lt=hi)
        evaluated |= Q(period=period, missed_flagged_on__lte=end)
    with transaction.atomic():
        short = list(
            ServicePlan.objects.filter(covering)
            .annotate(delivered=Count("deliveries", filter=in_period))
            .filter(delivered__lt=F("times"))
            .select_related("elder", "service", "organization")
            .order_by("pk")
        )
        short_ids = [p.pk for p in short]
        # Flags of an earlier period that is now followed by a complete period without a shortfall.
        ServicePlan.objects.filter(missed_flagged_on__isnull=False).filter(evaluated).exclude(
            pk__in=short_ids
        ).update(missed_flagged_on=None, missed_count=0)
        fresh = [
            p for p in short if p.missed_flagged_on is None or p.missed_flagged_on <= bounds[p.period][1]
        ]
        for plan in fresh:
            plan.missed_flagged_on = today
            plan.missed_count = plan.times - plan.delivered
        if fresh:
            ServicePlan.objects.bulk_update(fresh, ["missed_flagged_on", "missed_count"], batch_size=1000)
        _tell_missed(fresh, bounds)
    return len(fresh)


def _tell_missed(plans: list[ServicePlan], bounds) -> None:
    """One message per plan, period and recipient: the organisation's staff and community staff."""
    if not plans:
        return
    from portal.notify.services import message_enqueue_many

    org_ids = {p.organization_id for p in plans}
    org_staff: dict[int, list[User]] = {}
    for user in User.objects.filter(
        role=Role.PARTNER_STAFF, organization_id__in=org_ids, is_active=True
    ).order_by("pk"):
        org_staff.setdefault(user.organization_id, []).append(user)
    community = list(
        User.objects.filter(Q(role=Role.COMMUNITY_STAFF) | Q(is_superuser=True), is_active=True).order_by(
            "pk"
        )
    )
    items = []
    for plan in plans:
        start, end = bounds[plan.period]
        context = {
            "elder": plan.elder.name,
            "service": plan.service.name,
            "organization": plan.organization.name,
            "period": _period_label(start, end),
            "expected": plan.times,
            "delivered": plan.delivered,
            "missed": plan.times - plan.delivered,
        }
        for user in org_staff.get(plan.organization_id, []):
            items.append(
                {
                    "key": f"{MISSED_TEMPLATE}:{plan.pk}:{start.isoformat()}:user:{user.pk}",
                    "template": MISSED_TEMPLATE,
                    "context": context,
                    "user": user,
                }
            )
        for user in community:
            items.append(
                {
                    "key": f"{MISSED_TEMPLATE}:{plan.pk}:{start.isoformat()}:user:{user.pk}",
                    "template": MISSED_TEMPLATE,
                    "context": context,
                    "user": user,
                    # Staff read the flagged list; an SMS per plan would drown them.
                    "channels": ["inbox"],
                }
            )
    if items:
        message_enqueue_many(items=items)


__all__ = [
    "PARTNER_KINDS",
    "active_on_q",
    "day_range",
    "delivery_log",
    "delivery_round_log",
    "last_complete_period",
    "may_log_deliveries",
    "may_manage_partner_services",
    "new_round_key",
    "partner_organizations",
    "period_bounds",
    "plan_create",
    "plan_end",
    "plan_update",
    "plans_check_missed",
    "plans_loggable_by",
    "service_create",
    "service_set_active",
    "service_update",
]
