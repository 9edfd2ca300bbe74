"""Staff create and change activities (the portal's own pages, not the admin).

``activity_create`` and ``activity_update`` take the activity's fields as a mapping (the names of
``Activity``'s fields), its lottery priority tiers, its reminder lead times and, on creation, an optional
first session (a one-off event is created with its date in one go). Every rule of the model's constraints
and of the engine is checked here first, so that a refusal is a translated error on the right field and
never an ``IntegrityError``; one ``transaction.atomic`` each, so a refusal saves nothing half-way.

Who may do what:

* community staff create activities organised by herself, any staff member or a partner organisation;
* partner-organisation staff create activities of their own organisation only (forced here, whatever
  the form posted; another organisation is refused);
* anyone who manages an activity (``can_manage_activity``) may change it; only community staff may give
  it another organiser.

Once anyone has booked, what the existing bookings rest on is fixed: the allocation, what a place is
(persons or families) and how it is booked (each session or the whole course); a course's capacity cannot
drop below the places already taken, and a lottery's tiers cannot change once it has been drawn.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.accounts.models import Role
from portal.audit import set_actor

from ..models import (
    SEATED_STATUSES,
    Activity,
    ActivityStatus,
    AllocationMode,
    Area,
    CapacityUnit,
    EarlyWindowFor,
    LotteryDraw,
    PriorityTier,
    Registration,
    RegistrationScope,
    RegistrationStatus,
    TargetGroup,
)
from .reminders import reminder_rules_set
from .sessions import session_create

#: The fields of ``Activity`` these services write (everything staff set on the activity form).
ACTIVITY_FIELDS = (
    "title",
    "description",
    "area",
    "place",
    "status",
    "min_age",
    "max_age",
    "residents_only",
    "target_group",
    "max_per_household",
    "capacity_unit",
    "registration_scope",
    "capacity",
    "allocation",
    "waitlist_enabled",
    "booking_opens_at",
    "booking_closes_at",
    "early_opens_at",
    "early_for",
    "early_group",
    "offer_hold_hours",
    "cancel_hours_before",
)
#: Fixed once anyone has booked: the existing bookings rest on them.
FIXED_ONCE_BOOKED = ("allocation", "capacity_unit", "registration_scope")

AGE_MAX = 150
HOUSEHOLD_MAX = 50
CAPACITY_MAX = 100_000
OFFER_HOLD_MAX = 14 * 24
CANCEL_HOURS_MAX = 60 * 24

#: Roles whose holders may be named as an activity's organiser (besides superusers).
ORGANISER_ROLES = (Role.COMMUNITY_STAFF, Role.GRID_WORKER)


# --- who may -------------------------------------------------------------------------------------


def may_create_activity(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_community_staff or user.is_partner_staff))


def may_organise(user) -> bool:
    """May ``user`` be named as the organiser (staff) of an activity?"""
    return bool(user and user.is_active and (user.is_superuser or user.role in ORGANISER_ROLES))


def _organiser(*, actor, data: Mapping[str, Any], current: Activity | None) -> tuple[Any, Any]:
    """The (organiser_user, organiser_org) the actor may give; refusals on the field ``organiser``."""
    user, org = data.get("organiser_user"), data.get("organiser_org")
    if actor.is_community_staff:
        if user is None and org is None:
            if current is not None:
                return current.organiser_user, current.organiser_org
            return actor, None
        unchanged = current is not None and (
            (user.pk if user else None, org.pk if org else None)
            == (current.organiser_user_id, current.organiser_org_id)
        )
        if unchanged:  # kept as it is, even if she has left the staff or the partner has stopped since
            return user, org
        if user is not None and org is not None:
            raise ValidationError(
                {"organiser": _("Choose one organiser: a staff member or a partner organisation.")},
                code="two_organisers",
            )
        if user is not None and not may_organise(user):
            raise ValidationError(
                {
                    "organiser": _("%(name)s is not community staff and cannot organise an activity.")
                    % {"name": user}
                },
                code="not_staff",
            )
        if org is not None and not org.is_active:
            raise ValidationError(
                {"organiser": _("%(name)s is no longer an active partner organisation.") % {"name": org}},
                code="org_inactive",
            )
        return user, org
    if actor.is_partner_staff and actor.organization_id:
        own = actor.organization
        if (org is not None and org.pk != own.pk) or user is not None:
            raise ValidationError(
                {"organiser": _("You can only organise activities for %(org)s.") % {"org": own}},
                code="other_org",
            )
        return None, own
    # Someone who manages an activity only as its organiser keeps its organiser as it is.
    if current is None:
        raise PermissionDenied
    if (user is not None and user.pk != current.organiser_user_id) or (
        org is not None and org.pk != current.organiser_org_id
    ):
        raise ValidationError(
            {"organiser": _("Only community staff can give an activity another organiser.")},
            code="organiser_fixed",
        )
    return current.organiser_user, current.organiser_org


# --- the rules -----------------------------------------------------------------------------------


def _aware(value, field: str) -> None:
    if value is not None and timezone.is_naive(value):
        raise ValueError(f"{field} must be timezone-aware")


def _check_rules(values: dict[str, Any], tiers: list[dict[str, Any]]) -> None:
    """Every rule of ``Activity``'s constraints and of the engine, as field errors (all at once)."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not (values.get("title") or "").strip():
        refuse("title", _("Give the activity a title."))
    if not (values.get("place") or "").strip():
        refuse("place", _("Say where the activity takes place."))
    if values.get("area") not in Area.values:
        refuse("area", _("Choose the area of work."))
    if values.get("status") not in ActivityStatus.values:
        refuse("status", _("Choose whether the activity is a draft or published."))
    if values.get("allocation") not in AllocationMode.values:
        refuse("allocation", _("Choose how places are given."))
    if values.get("capacity_unit") not in CapacityUnit.values:
        refuse("capacity_unit", _("Choose whether places are counted in persons or families."))
    if values.get("registration_scope") not in RegistrationScope.values:
        refuse("registration_scope", _("Choose whether people book each session or the whole course."))

    min_age, max_age = values.get("min_age"), values.get("max_age")
    for field, age in (("min_age", min_age), ("max_age", max_age)):
        if age is not None and not 0 <= age <= AGE_MAX:
            refuse(field, _("An age is between 0 and %(max)d.") % {"max": AGE_MAX})
    if min_age is not None and max_age is not None and max_age < min_age:
        refuse("max_age", _("The maximum age cannot be below the minimum age."))
    per_household = values.get("max_per_household")
    if per_household is not None and not 1 <= per_household <= HOUSEHOLD_MAX:
        refuse(
            "max_per_household",
            _("A household may book between 1 and %(max)d places; leave it empty for no limit.")
            % {"max": HOUSEHOLD_MAX},
        )

    capacity = values.get("capacity")
    if values.get("registration_scope") == RegistrationScope.COURSE:
        if capacity is None:
            refuse("capacity", _("An activity booked as a whole course needs the capacity of the course."))
        elif not 1 <= capacity <= CAPACITY_MAX:
            refuse(
                "capacity", _("The capacity of the course is between 1 and %(max)d.") % {"max": CAPACITY_MAX}
            )

    opens, closes = values.get("booking_opens_at"), values.get("booking_closes_at")
    early, early_for = values.get("early_opens_at"), values.get("early_for") or ""
    if opens is not None and closes is not None and closes <= opens:
        refuse("booking_closes_at", _("Booking must close after it opens."))
    if values.get("allocation") == AllocationMode.LOTTERY and closes is None:
        refuse(
            "booking_closes_at",
            _("A lottery needs the time applications close: it is drawn after that."),
        )
    if early is not None:
        if opens is None:
            refuse(
                "booking_opens_at",
                _("With an early booking window, say when booking opens for everyone."),
            )
        elif early >= opens:
            refuse("early_opens_at", _("Early booking must open before booking opens for everyone."))
        if not early_for:
            refuse("early_for", _("Say who may book early."))
    elif early_for:
        refuse("early_opens_at", _("Say when early booking opens, or leave “who may book early” empty."))
    if early_for and early_for not in EarlyWindowFor.values:
        refuse("early_for", _("Say who may book early."))
    if early_for == EarlyWindowFor.GROUP and values.get("early_group") is None:
        refuse("early_group", _("Choose the target group that may book early."))

    hold = values.get("offer_hold_hours")
    if hold is None or not 1 <= hold <= OFFER_HOLD_MAX:
        refuse(
            "offer_hold_hours",
            _("A waitlist offer is held between 1 and %(max)d hours.") % {"max": OFFER_HOLD_MAX},
        )
    cancel = values.get("cancel_hours_before")
    if cancel is None or not 0 <= cancel <= CANCEL_HOURS_MAX:
        refuse(
            "cancel_hours_before",
            _("The cancellation deadline is between 0 and %(max)d hours before the start.")
            % {"max": CANCEL_HOURS_MAX},
        )

    if tiers and values.get("allocation") != AllocationMode.LOTTERY:
        refuse("priority_tiers", _("Priority tiers are only for an activity given by lottery."))
    seen: set[int] = set()
    for tier in tiers:
        rank = tier.get("rank")
        if rank is None or rank < 1:
            refuse("priority_tiers", _("A priority tier's rank is a whole number from 1."))
        elif rank in seen:
            refuse(
                "priority_tiers",
                _("Two priority tiers have rank %(rank)d: give each its own rank.") % {"rank": rank},
            )
        else:
            seen.add(rank)
        if tier.get("group") is None and not tier.get("residents"):
            refuse("priority_tiers", _("A priority tier needs a group, or residents ticked."))
    if errors:
        raise ValidationError(errors)


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    values["title"] = (values.get("title") or "").strip()
    values["place"] = (values.get("place") or "").strip()
    values["description"] = (values.get("description") or "").strip()
    values["early_for"] = values.get("early_for") or ""
    if values["early_for"] != EarlyWindowFor.GROUP:
        values["early_group"] = None
    if values.get("registration_scope") == RegistrationScope.SESSION:
        values["capacity"] = None  # each session has its own capacity
    for field in ("booking_opens_at", "booking_closes_at", "early_opens_at"):
        _aware(values.get(field), field)
    return values


def _clean_tiers(tiers: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    for tier in tiers:
        group = tier.get("group")
        if group is not None and not isinstance(group, TargetGroup):
            raise ValueError("a tier's group is a TargetGroup")
        cleaned.append({"rank": tier.get("rank"), "group": group, "residents": bool(tier.get("residents"))})
    return sorted(cleaned, key=lambda t: (t["rank"] is None, t["rank"] or 0))


def _save_tiers(activity: Activity, tiers: list[dict[str, Any]]) -> None:
    wanted = [(t["rank"], t["group"].pk if t["group"] else None, t["residents"]) for t in tiers]
    have = list(activity.priority_tiers.order_by("rank").values_list("rank", "group_id", "residents"))
    if wanted == have:
        return  # nothing changed: no audit entries
    activity.priority_tiers.all().delete()
    PriorityTier.objects.bulk_create(
        [
            PriorityTier(activity=activity, rank=t["rank"], group=t["group"], residents=t["residents"])
            for t in tiers
        ]
    )


def _after_lottery_change(activity: Activity) -> None:
    """Once a lottery's rules are written: commit the seed of each of its pools (the course, or each
    session; an activity just made a lottery may already have sessions). Idempotent."""
    from .lottery import lottery_commitment_ensure

    if not activity.is_lottery:
        return
    if activity.is_course:
        lottery_commitment_ensure(activity=activity)
        return
    for session in activity.sessions.filter(cancelled=False):
        lottery_commitment_ensure(activity=activity, session=session)


def _values(data: Mapping[str, Any], *, base: Activity | None = None) -> dict[str, Any]:
    defaults = {
        "area": Area.COMMUNITY,
        "status": ActivityStatus.DRAFT,
        "capacity_unit": CapacityUnit.PERSON,
        "registration_scope": RegistrationScope.SESSION,
        "allocation": AllocationMode.FCFS,
        "waitlist_enabled": True,
        "residents_only": False,
        "offer_hold_hours": 24,
        "cancel_hours_before": 24,
    }
    values = {}
    for field in ACTIVITY_FIELDS:
        if field in data:
            values[field] = data[field]
        elif base is not None:
            values[field] = getattr(base, field)
        else:
            values[field] = defaults.get(field, "" if field in ("title", "description", "place") else None)
    return values


#: The first session's errors go to the fields of the form's first-session block.
FIRST_SESSION_FIELDS = {
    "starts_at": "first_start",
    "ends_at": "first_end",
    "capacity": "first_capacity",
    "place": "first_place",
}


def _first_session(*, actor, activity: Activity, first: Mapping[str, Any]) -> None:
    starts_at, ends_at = first.get("starts_at"), first.get("ends_at")
    capacity = first.get("capacity")
    if capacity is None:
        capacity = (activity.capacity or 0) if activity.is_course else None
    if capacity is None:
        raise ValidationError(
            {"first_capacity": _("Give the number of places of the first session.")}, code="no_capacity"
        )
    if not activity.is_course and not 1 <= capacity <= CAPACITY_MAX:
        raise ValidationError(
            {"first_capacity": _("A session has between 1 and %(max)d places.") % {"max": CAPACITY_MAX}},
            code="bad_capacity",
        )
    try:
        session_create(
            actor=actor,
            activity=activity,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            place=(first.get("place") or "").strip(),
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError(
                {FIRST_SESSION_FIELDS.get(k, k): v for k, v in exc.error_dict.items()}
            ) from exc
        raise


# --- the services --------------------------------------------------------------------------------


def activity_create(
    *,
    actor,
    data: Mapping[str, Any],
    tiers: Sequence[Mapping[str, Any]] = (),
    lead_minutes: Sequence[int] | None = None,
    first_session: Mapping[str, Any] | None = None,
    now: datetime.datetime | None = None,
) -> Activity:
    """Create an activity (with its tiers, lead times and an optional first session ``{"starts_at",
    "ends_at", "capacity", "place"}``). Raises ``PermissionDenied`` for someone who may not create
    activities and ``ValidationError`` (keyed by field) for every rule broken; saves nothing then."""
    if not may_create_activity(actor):
        raise PermissionDenied
    values = _normalise(_values(data))
    tiers = _clean_tiers(tiers)
    organiser_user, organiser_org = _organiser(actor=actor, data=data, current=None)
    _check_rules(values, tiers)
    with transaction.atomic(), set_actor(actor):
        activity = Activity.objects.create(
            **values, organiser_user=organiser_user, organiser_org=organiser_org, created_by=actor
        )
        _save_tiers(activity, tiers)
        if lead_minutes:
            reminder_rules_set(actor=actor, activity=activity, lead_minutes=lead_minutes, now=now)
        if first_session:
            _first_session(actor=actor, activity=activity, first=first_session)
        _after_lottery_change(activity)
    return activity


def _registrations_count(activity: Activity) -> int:
    return Registration.objects.filter(activity=activity).exclude(status=RegistrationStatus.CANCELLED).count()


def _check_bookings(
    *, activity: Activity, values: dict[str, Any], tiers: list[dict[str, Any]] | None
) -> None:
    """Refuse what would break the bookings already made."""
    errors: dict[str, list[str]] = {}
    changed = [f for f in FIXED_ONCE_BOOKED if values[f] != getattr(activity, f)]
    if changed:
        booked = activity.bookings.count()
        if booked:
            message = ngettext(
                "%(n)d booking has been made: this can no longer change.",
                "%(n)d bookings have been made: this can no longer change.",
                booked,
            ) % {"n": booked}
            for field in changed:
                errors[field] = [message]
    if (
        activity.is_course
        and values["registration_scope"] == RegistrationScope.COURSE
        and values.get("capacity")
    ):
        seated = Registration.objects.filter(
            activity=activity, session__isnull=True, status__in=SEATED_STATUSES
        )
        taken = seated.values("booking_id").distinct().count() if activity.counts_families else seated.count()
        if values["capacity"] < taken:
            errors.setdefault("capacity", []).append(
                ngettext(
                    "%(n)d place is already taken: the capacity cannot be lower.",
                    "%(n)d places are already taken: the capacity cannot be lower.",
                    taken,
                )
                % {"n": taken}
            )
    if tiers is not None and activity.is_lottery and LotteryDraw.objects.filter(activity=activity).exists():
        wanted = [(t["rank"], t["group"].pk if t["group"] else None, t["residents"]) for t in tiers]
        have = list(activity.priority_tiers.order_by("rank").values_list("rank", "group_id", "residents"))
        if wanted != have:
            errors.setdefault("priority_tiers", []).append(
                _("The lottery has been drawn: its priority tiers can no longer change.")
            )
    if errors:
        raise ValidationError(errors)


def activity_update(
    *,
    actor,
    activity: Activity,
    data: Mapping[str, Any],
    tiers: Sequence[Mapping[str, Any]] | None = None,
    lead_minutes: Sequence[int] | None = None,
    now: datetime.datetime | None = None,
) -> Activity:
    """Change an activity the actor manages. Fields missing from ``data`` stay as they are; ``tiers`` and
    ``lead_minutes`` of ``None`` leave them alone (an empty list of lead times: back to the default)."""
    from ..selectors import can_manage_activity

    if not can_manage_activity(user=actor, activity=activity):
        raise PermissionDenied
    now = now or timezone.now()
    with transaction.atomic(), set_actor(actor):
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        values = _normalise(_values(data, base=locked))
        new_tiers = _clean_tiers(tiers) if tiers is not None else None
        check_tiers = new_tiers
        if check_tiers is None:
            check_tiers = _clean_tiers(
                [
                    {"rank": t.rank, "group": t.group, "residents": t.residents}
                    for t in locked.priority_tiers.all()
                ]
            )
        organiser_user, organiser_org = _organiser(actor=actor, data=data, current=locked)
        _check_rules(values, check_tiers)
        _check_bookings(activity=locked, values=values, tiers=new_tiers)
        old_capacity = locked.capacity
        for field, value in values.items():
            setattr(locked, field, value)
        locked.organiser_user, locked.organiser_org = organiser_user, organiser_org
        locked.save()
        if new_tiers is not None:
            _save_tiers(locked, new_tiers)
        if lead_minutes is not None:
            reminder_rules_set(actor=actor, activity=locked, lead_minutes=lead_minutes, now=now)
        if locked.is_course and (locked.capacity or 0) > (old_capacity or 0) and _registrations_count(locked):
            from ..tasks import promote_waitlist

            pk = locked.pk
            transaction.on_commit(lambda: promote_waitlist.delay(pk, None))
        _after_lottery_change(locked)
    for field in (*values, "organiser_user", "organiser_org", "updated_at"):
        setattr(activity, field, getattr(locked, field))
    return activity
