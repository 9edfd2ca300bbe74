"""The visit-and-call roster (关爱走访): contact plans, contact logs, needs (急难愁盼) and the daily scan.

Contact plans follow the elder's effective risk level (``CONTACT_EVERY_DAYS``: weekly when the risk is high,
e.g. 80+ and living alone; monthly for the other special groups; quarterly for the rest) unless staff set
the plan by hand (``custom``: its frequency and its responsible person are then kept). The responsible
person is the paired helper (结对帮扶) by default, else a grid worker of her grid, else the grid leader.

A contact log moves the plan on: reached → ``due_on`` = the contact's day + ``every_days`` and the
not-reached count back to 0; not reached → the count goes up and ``due_on`` stays (she is still due).
Then the risk level is recomputed (core's ``elder_risk_refresh``: not reached twice raises it) and the
plans of the elders whose level changed follow.

The daily scan (``outreach_scan``) is set-based: one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING
RETURNING`` writes the notices due today (``OutreachNotice``, unique per plan, due date and kind) and
returns only the rows this call inserted; one message per recipient and kind lists her elders, keyed by
the first of those notices, in the same transaction. A second run, or a concurrent one, inserts nothing
and so sends nothing: the unique constraint decides, not the job.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Role, User
from portal.audit import set_actor
from portal.community.models import Person
from portal.notify.services import message_enqueue_many

from ..models import (
    ELDER_ALWAYS,
    NOTE_MAX,
    ContactLog,
    ContactMethod,
    ContactPlan,
    ElderProfile,
    Need,
    NeedCategory,
    NeedStatus,
    NoticeKind,
    OutreachNotice,
    RiskLevel,
    Wellbeing,
)
from ..selectors.access import ELDER_AGE, elder_q

logger = logging.getLogger(__name__)

#: How often an elder is contacted, by her effective risk level (days). The one place for these numbers.
CONTACT_EVERY_DAYS = {RiskLevel.HIGH: 7, RiskLevel.MEDIUM: 30, RiskLevel.LOW: 90}
#: Days a contact may be late before the grid leader hears of it (settings: ZHAOXI_ELDERS_CONTACT_GRACE_DAYS).
GRACE_DAYS = getattr(settings, "ELDERS_CONTACT_GRACE_DAYS", 3)
#: Not reached this many times in a row: the grid leader hears of it.
UNREACHED_ESCALATE = 2
#: Elders named in one message (the rest are counted).
NAMES_IN_MESSAGE = 10
#: A contact logged a little ahead of the server's clock (a phone's clock) is still accepted.
CLOCK_SLACK = datetime.timedelta(minutes=5)
NEED_DESCRIPTION_MAX = 500
EVERY_DAYS_MAX = 366
#: Tests only: seconds to wait after the notices are inserted and before the commit (widens the race).
RACE_PAUSE_SECONDS = 0.0


def _cached(obj, name):
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def _grid_id(person: Person) -> int | None:
    household = person.household if person.household_id else None
    return household.building.grid_id if household is not None else None


# --- who is responsible, who may act -------------------------------------------------------------


def _grid_people(grid_ids: Iterable[int]) -> tuple[dict[int, int], dict[int, int]]:
    """For each grid: its first active grid worker's id, and its leader's id when the leader is active
    (one query for any number of grids)."""
    from portal.community.models import Grid

    grid_ids = {g for g in grid_ids if g}
    if not grid_ids:
        return {}, {}
    leaders = dict(
        Grid.objects.filter(pk__in=grid_ids, leader__is_active=True).values_list("pk", "leader_id")
    )
    workers: dict[int, int] = {}
    for grid_id, user_id in (
        User.objects.filter(is_active=True, role=Role.GRID_WORKER, grid_id__in=grid_ids)
        .order_by("pk")
        .values_list("grid_id", "pk")
    ):
        workers.setdefault(grid_id, user_id)
    return workers, leaders


def default_responsible_id(*, helper_id, grid_id, workers, leaders) -> int | None:
    """The paired helper, else the grid worker of her grid, else the grid leader."""
    return helper_id or workers.get(grid_id) or leaders.get(grid_id)


def need_default_owner_id(*, grid_id, workers, leaders) -> int | None:
    """A need goes to her grid's leader, else to its grid worker (else staff pick it up from the list)."""
    return leaders.get(grid_id) or workers.get(grid_id)


def may_manage_plan(*, viewer, elder: Person) -> bool:
    """Community staff, and the grid worker of the elder's grid."""
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return False
    if viewer.is_community_staff:
        return True
    return bool(viewer.is_grid_worker and viewer.grid_id and _grid_id(elder) == viewer.grid_id)


def may_log_contact(*, viewer, elder: Person, plan: ContactPlan | None = None) -> bool:
    """Staff, her grid worker, the person responsible for her contacts and her paired helper."""
    if may_manage_plan(viewer=viewer, elder=elder):
        return True
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return False
    if plan is None:
        plan = _cached(elder, "contact_plan")
    if plan is not None and plan.assigned_to_id == viewer.pk:
        return True
    profile = _cached(elder, "elder_profile")
    return bool(profile is not None and profile.helper_id == viewer.pk)


def may_update_need(*, viewer, need: Need) -> bool:
    """Staff, the grid worker of the elder's grid, and the need's owner."""
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return False
    return need.owner_id == viewer.pk or may_manage_plan(viewer=viewer, elder=need.elder)


# --- contact plans -------------------------------------------------------------------------------


def _local_day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def elder_since(
    *, is_active: bool, birth_date: datetime.date | None, has_profile: bool
) -> datetime.date | None:
    """The first day on which a person is an elder (``elders.selectors.access.elder_q``: active, and
    ``ELDER_AGE`` or more on the day or with an elder profile), as things stand: ``ELDER_ALWAYS`` with a
    profile, her 60th birthday by age (1 March when she was born on 29 February and that year has none),
    None when she is not active or has neither. ``elder_since <= day`` is ``elder_q(on=day)`` for her."""
    if not is_active:
        return None
    if has_profile:
        return ELDER_ALWAYS
    if birth_date is None:
        return None
    try:
        return birth_date.replace(year=birth_date.year + ELDER_AGE)
    except ValueError:  # 29 February, and no such day 60 years on
        return datetime.date(birth_date.year + ELDER_AGE, 3, 1)


def contact_plans_elder_refresh(*, person_ids: Iterable[int]) -> int:
    """Set ``ContactPlan.elder_since`` of these people's plans from their person and profile as they stand
    (called on every change of a person's activity or birth date and of a profile's existence; see
    ``elders.signals``); returns how many plans changed. The people are locked first (as an update of the
    person locks her), so that two changes at once (a profile added while she moves away) cannot leave
    the value of the first: the second waits and reads what the first committed. One query, and one
    more for each value written."""
    ids = {int(i) for i in person_ids if i is not None}
    if not ids:
        return 0
    changed = 0
    with transaction.atomic():
        rows = (
            Person.objects.select_for_update(no_key=True, of=("self",))
            .filter(pk__in=ids, contact_plan__isnull=False)
            .annotate(
                plan_id=F("contact_plan__id"),
                since=F("contact_plan__elder_since"),
                has_profile=Exists(ElderProfile.objects.filter(person_id=OuterRef("pk"))),
            )
            .values_list("plan_id", "since", "is_active", "birth_date", "has_profile")
        )
        by_value: dict[datetime.date | None, list[int]] = defaultdict(list)
        for plan_id, since, active, born, has_profile in rows:
            value = elder_since(is_active=active, birth_date=born, has_profile=has_profile)
            if value != since:
                by_value[value].append(plan_id)
        for value, plan_ids in by_value.items():
            changed += ContactPlan.objects.filter(pk__in=plan_ids).update(elder_since=value)
    return changed


def contact_plans_sync(*, person_ids, today: datetime.date | None = None) -> int:
    """Create or update the contact plans of these elders from their effective risk level (plans set by
    staff keep their frequency and responsible person); returns how many were created or changed.

    A new plan is due on the day it is made (a first contact), unless she was reached before: then the last
    reached contact plus the frequency. A changed frequency moves ``due_on`` to the last reached contact
    plus the new frequency. A constant number of queries for any number of elders."""
    ids = {int(i) for i in (person_ids or ())}
    if not ids:
        return 0
    today = today or timezone.localdate()
    with transaction.atomic():
        people = list(
            Person.objects.filter(elder_q(on=today), pk__in=ids, is_active=True).select_related(
                "elder_profile", "household__building"
            )
        )
        if not people:
            return 0
        plans = {
            p.elder_id: p
            for p in ContactPlan.objects.select_for_update()
            .filter(elder_id__in=[p.pk for p in people])
            .order_by("pk")
        }
        workers, leaders = _grid_people(_grid_id(p) for p in people)
        helper_ids = {
            prof.helper_id
            for p in people
            if (prof := _cached(p, "elder_profile")) is not None and prof.helper_id
        }
        assigned_ids = {p.assigned_to_id for p in plans.values() if p.assigned_to_id}
        active_users = set(
            User.objects.filter(pk__in=helper_ids | assigned_ids, is_active=True).values_list("pk", flat=True)
        )
        new_ids = [p.pk for p in people if p.pk not in plans]
        history = {}
        if new_ids:
            history = {
                row["elder_id"]: row
                for row in ContactLog.objects.filter(elder_id__in=new_ids)
                .values("elder_id")
                .annotate(last=Max("contacted_at"), reached=Max("contacted_at", filter=Q(reached=True)))
            }
        to_create, to_update = [], []
        for person in people:
            profile = _cached(person, "elder_profile")
            level = profile.effective_risk if profile is not None else RiskLevel.LOW
            every = CONTACT_EVERY_DAYS.get(level, CONTACT_EVERY_DAYS[RiskLevel.LOW])
            helper_id = (
                profile.helper_id if profile is not None and profile.helper_id in active_users else None
            )
            plan = plans.get(person.pk)
            if helper_id is None and plan is not None and plan.assigned_to_id in active_users:
                responsible = plan.assigned_to_id  # someone active is on it: kept until a helper is paired
            else:
                responsible = default_responsible_id(
                    helper_id=helper_id, grid_id=_grid_id(person), workers=workers, leaders=leaders
                )
            if plan is None:
                seen = history.get(person.pk, {})
                reached = seen.get("reached")
                to_create.append(
                    ContactPlan(
                        elder=person,
                        elder_since=elder_since(
                            is_active=True, birth_date=person.birth_date, has_profile=profile is not None
                        ),
                        every_days=every,
                        assigned_to_id=responsible,
                        starts_on=today,
                        due_on=(_local_day(reached) + datetime.timedelta(days=every)) if reached else today,
                        last_contact_at=seen.get("last"),
                        last_reached_at=reached,
                    )
                )
                continue
            if plan.custom or not plan.is_active:
                continue
            changed = False
            if plan.every_days != every:
                plan.every_days = every
                if plan.last_reached_at is not None:
                    plan.due_on = _local_day(plan.last_reached_at) + datetime.timedelta(days=every)
                changed = True
            if responsible is not None and plan.assigned_to_id != responsible:
                plan.assigned_to_id = responsible
                changed = True
            if changed:
                to_update.append(plan)
        if to_create:
            ContactPlan.objects.bulk_create(to_create, ignore_conflicts=True, batch_size=1000)
        if to_update:
            now = timezone.now()
            for plan in to_update:
                plan.updated_at = now
            ContactPlan.objects.bulk_update(
                to_update, ["every_days", "due_on", "assigned_to", "updated_at"], batch_size=1000
            )
    return len(to_create) + len(to_update)


def _active_user_by_phone(phone: str) -> User:
    from portal.accounts.phone import parse_cn_mobile

    number = parse_cn_mobile(phone)
    user = User.objects.filter(phone=number, is_active=True).first() if number else None
    if user is None:
        raise ValidationError(
            {"responsible_phone": _("Nobody with an account uses this mobile number. Check the number.")},
            code="no_such_user",
        )
    return user


def contact_plan_update(
    *,
    actor,
    plan: ContactPlan,
    follow_risk: bool,
    every_days: int | None = None,
    method: str = ContactMethod.VISIT,
    responsible_phone: str = "",
) -> ContactPlan:
    """Staff (or her grid worker) set the plan: frequency, how, who. A plan set by hand keeps what staff
    chose (``custom``); ``follow_risk`` gives it back to the risk level and the default responsible."""
    elder = plan.elder
    if not may_manage_plan(viewer=actor, elder=elder):
        raise PermissionDenied
    if method not in ContactMethod.values:
        raise ValidationError({"method": _("Choose a visit or a call.")}, code="bad_method")
    responsible = _active_user_by_phone(responsible_phone) if responsible_phone else None
    if not follow_risk and (every_days is None or not 1 <= int(every_days) <= EVERY_DAYS_MAX):
        raise ValidationError(
            {"every_days": _("Enter a number of days between 1 and %(max)d.") % {"max": EVERY_DAYS_MAX}},
            code="bad_every",
        )
    with transaction.atomic(), set_actor(actor):
        plan = ContactPlan.objects.select_for_update().get(pk=plan.pk)
        plan.method = method
        if follow_risk:
            plan.custom = False
            if responsible is not None:
                plan.assigned_to = responsible
            plan.save()
            contact_plans_sync(person_ids=[elder.pk])
            plan.refresh_from_db()
            if responsible is not None and plan.assigned_to_id != responsible.pk:
                # named by staff: kept even when the plan follows the risk level for its frequency
                plan.assigned_to = responsible
                plan.save(update_fields=["assigned_to", "updated_at"])
        else:
            plan.custom = True
            plan.every_days = int(every_days)
            if plan.last_reached_at is not None:
                plan.due_on = _local_day(plan.last_reached_at) + datetime.timedelta(days=plan.every_days)
            if responsible is not None:
                plan.assigned_to = responsible
            plan.save()
    return plan


def contact_plan_for(*, elder: Person, today: datetime.date | None = None) -> ContactPlan | None:
    """Her plan, made from the risk level if she has none yet."""
    plan = ContactPlan.objects.filter(elder=elder).select_related("assigned_to").first()
    if plan is None:
        contact_plans_sync(person_ids=[elder.pk], today=today)
        plan = ContactPlan.objects.filter(elder=elder).select_related("assigned_to").first()
    return plan


# --- contact logs and needs ----------------------------------------------------------------------


def _clean_needs(needs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for category, description in needs:
        description = (description or "").strip()
        if category not in NeedCategory.values:
            raise ValidationError(_("Choose what kind of need it is."), code="bad_category")
        if not description:
            raise ValidationError(_("Say what she needs."), code="need_empty")
        if len(description) > NEED_DESCRIPTION_MAX:
            raise ValidationError(
                _("Keep the need to %(max)d characters.") % {"max": NEED_DESCRIPTION_MAX}, code="need_long"
            )
        out.append((category, description))
    return out


def _need_items(needs: Iterable[Need], users: dict[int, User]) -> list[dict]:
    items = []
    for need in needs:
        owner = users.get(need.owner_id)
        if owner is None:
            continue
        items.append(
            {
                "key": f"elders.need:{need.pk}:owner:{owner.pk}",
                "template": "elders.need_assigned",
                "context": {
                    "elder": need.elder.name,
                    "category": str(need.get_category_display()),
                    "description": need.description,
                },
                "user": owner,
            }
        )
    return items


def contact_log_create(
    *,
    actor,
    elder: Person,
    method: str,
    reached: bool,
    wellbeing: str = "",
    notes: str = "",
    contacted_at: datetime.datetime | None = None,
    needs: Sequence[tuple[str, str]] = (),
    on_behalf: bool = False,
    now: datetime.datetime | None = None,
) -> ContactLog:
    """Log one visit or call and move her plan on (see the module docstring); each need raised becomes a
    ``Need`` with an owner, who is told through the outbox. ``on_behalf``: staff enter what the responsible
    person phoned in (the log is hers, marked as entered by staff)."""
    now = now or timezone.now()
    contacted_at = contacted_at or now
    notes = (notes or "").strip()
    errors: dict[str, list] = {}
    if method not in ContactMethod.values:
        errors["method"] = [_("Choose a visit or a call.")]
    if not reached and wellbeing:
        errors["wellbeing"] = [_("Say how she is only when you reached her.")]
    if wellbeing and wellbeing not in Wellbeing.values:
        errors["wellbeing"] = [_("Choose how she is.")]
    if len(notes) > NOTE_MAX:
        errors["notes"] = [_("Keep the notes to %(max)d characters.") % {"max": NOTE_MAX}]
    if contacted_at > now + CLOCK_SLACK:
        errors["contacted_at"] = [_("The contact cannot be in the future.")]
    if errors:
        raise ValidationError(errors)
    try:
        needs = _clean_needs(needs)
    except ValidationError as exc:
        raise ValidationError({"needs": exc.messages}) from exc

    with transaction.atomic(), set_actor(actor):
        plan = ContactPlan.objects.select_for_update().filter(elder=elder).first()
        if plan is None:
            contact_plans_sync(person_ids=[elder.pk], today=_local_day(now))
            plan = ContactPlan.objects.select_for_update().filter(elder=elder).first()
        if not may_log_contact(viewer=actor, elder=elder, plan=plan):
            raise PermissionDenied
        by = actor
        if on_behalf:
            if not may_manage_plan(viewer=actor, elder=elder):
                raise PermissionDenied
            if plan is None or plan.assigned_to_id is None:
                raise ValidationError(
                    {"on_behalf": _("She has nobody responsible for her contacts to enter this for.")},
                    code="nobody_responsible",
                )
            by = User.objects.get(pk=plan.assigned_to_id)
        log = ContactLog.objects.create(
            elder=elder,
            plan=plan,
            method=method,
            reached=reached,
            wellbeing=wellbeing if reached else "",
            notes=notes,
            contacted_at=contacted_at,
            by=by,
            entered_on_behalf=bool(on_behalf),
        )
        if plan is not None:
            _plan_after_contact(plan, log)
        created = _needs_raise(actor=actor, elder=elder, needs=needs, raised_in=log)
        if reached and wellbeing == Wellbeing.URGENT:
            _tell_urgent(elder=elder, log=log)
        _risk_follow(person_ids=[elder.pk], today=_local_day(now))
    log.needs_raised = created
    return log


def _plan_after_contact(plan: ContactPlan, log: ContactLog) -> None:
    """Move the (locked) plan on after a contact; a contact logged later for an earlier day changes only
    what it is the latest of."""
    at = log.contacted_at
    fields = ["updated_at"]
    if plan.last_contact_at is None or at >= plan.last_contact_at:
        plan.last_contact_at = at
        fields.append("last_contact_at")
    if log.reached:
        if plan.last_reached_at is None or at >= plan.last_reached_at:
            plan.last_reached_at = at
            plan.due_on = _local_day(at) + datetime.timedelta(days=plan.every_days)
            plan.unreached_in_row = 0
            fields += ["last_reached_at", "due_on", "unreached_in_row"]
    elif plan.last_reached_at is None or at > plan.last_reached_at:
        plan.unreached_in_row += 1
        fields.append("unreached_in_row")
    plan.save(update_fields=fields)


def _risk_follow(*, person_ids: list[int], today: datetime.date) -> None:
    """Core's risk refresh (not reached twice raises the level), then the plans of those that changed."""
    from .risk import elder_risk_refresh

    changed = elder_risk_refresh(person_ids=person_ids, today=today)
    if changed:
        contact_plans_sync(person_ids=changed, today=today)


def _needs_raise(*, actor, elder: Person, needs: Sequence[tuple[str, str]], raised_in=None) -> list[Need]:
    if not needs:
        return []
    grid_id = _grid_id(elder)
    workers, leaders = _grid_people([grid_id])
    owner_id = need_default_owner_id(grid_id=grid_id, workers=workers, leaders=leaders)
    rows = Need.objects.bulk_create(
        [
            Need(
                elder=elder,
                raised_in=raised_in,
                category=category,
                description=description,
                owner_id=owner_id,
                created_by=actor,
            )
            for category, description in needs
        ]
    )
    if not rows or rows[0].pk is None:  # a backend without ids from a bulk insert
        rows = list(Need.objects.filter(raised_in=raised_in).order_by("pk"))
    if owner_id:
        owner = User.objects.get(pk=owner_id)
        message_enqueue_many(items=_need_items(rows, {owner.pk: owner}))
    return rows


def need_create(*, actor, elder: Person, category: str, description: str) -> Need:
    """A need raised at the desk or on the elder page (not on a contact)."""
    if not may_log_contact(viewer=actor, elder=elder):
        raise PermissionDenied
    try:
        needs = _clean_needs([(category, description)])
    except ValidationError as exc:
        field = "category" if exc.code == "bad_category" else "description"
        raise ValidationError({field: exc.messages}) from exc
    with transaction.atomic(), set_actor(actor):
        [need] = _needs_raise(actor=actor, elder=elder, needs=needs)
    return need


def need_update(
    *,
    actor,
    need: Need,
    status: str,
    resolution: str = "",
    owner_phone: str = "",
    now: datetime.datetime | None = None,
) -> Need:
    """Move a need along: open → being handled → handled and closed (what was done is required). Staff
    (or her grid worker) may hand it to another owner, who is told; staff may reopen a closed need."""
    now = now or timezone.now()
    if not may_update_need(viewer=actor, need=need):
        raise PermissionDenied
    resolution = (resolution or "").strip()
    if status not in NeedStatus.values:
        raise ValidationError({"status": _("Choose a status.")}, code="bad_status")
    if len(resolution) > NOTE_MAX:
        raise ValidationError(
            {"resolution": _("Keep it to %(max)d characters.") % {"max": NOTE_MAX}}, code="too_long"
        )
    if status == NeedStatus.CLOSED and not resolution:
        raise ValidationError(
            {"resolution": _("Say what was done before closing the need.")}, code="no_resolution"
        )
    owner = None
    if owner_phone:
        if not may_manage_plan(viewer=actor, elder=need.elder):
            raise ValidationError(
                {"owner_phone": _("Only community staff or her grid worker may hand the need on.")},
                code="not_allowed",
            )
        try:
            owner = _active_user_by_phone(owner_phone)
        except ValidationError:
            raise ValidationError(
                {"owner_phone": _("Nobody with an account uses this mobile number. Check the number.")},
                code="no_such_user",
            ) from None
    with transaction.atomic(), set_actor(actor):
        need = Need.objects.select_for_update().select_related("elder").get(pk=need.pk)
        if need.status == NeedStatus.CLOSED and status != NeedStatus.CLOSED:
            if not may_manage_plan(viewer=actor, elder=need.elder):
                raise ValidationError(
                    {"status": _("A closed need is reopened by community staff or her grid worker.")},
                    code="closed",
                )
            need.closed_at = None
            need.closed_by = None
        if status == NeedStatus.CLOSED and need.status != NeedStatus.CLOSED:
            need.closed_at = now
            need.closed_by = actor
        need.status = status
        if resolution:
            need.resolution = resolution
        new_owner = owner is not None and owner.pk != need.owner_id
        if owner is not None:
            need.owner = owner
        need.save()
        if new_owner:
            message_enqueue_many(items=_need_items([need], {owner.pk: owner}))
    return need


def _tell_urgent(*, elder: Person, log: ContactLog) -> None:
    """ "Needs help now": her grid leader (else her grid worker) hears of it at once."""
    grid_id = _grid_id(elder)
    workers, leaders = _grid_people([grid_id])
    to = leaders.get(grid_id) or workers.get(grid_id)
    if not to:
        return
    message_enqueue_many(
        items=[
            {
                "key": f"elders.contact_urgent:{log.pk}:{to}",
                "template": "elders.contact_urgent",
                "context": {"elder": elder.name, "by": log.by.get_short_name(), "notes": log.notes[:200]},
                "user": User.objects.get(pk=to),
            }
        ]
    )


# --- the daily scan ------------------------------------------------------------------------------


_KIND_TEMPLATES = {
    NoticeKind.DUE: "elders.contact_due",
    NoticeKind.OVERDUE: "elders.contact_overdue",
    NoticeKind.UNREACHED: "elders.contact_unreached",
}


def _scan_sql() -> str:
    plan = ContactPlan._meta.db_table
    notice = OutreachNotice._meta.db_table
    person = Person._meta.db_table
    household = Person._meta.get_field("household").related_model._meta.db_table
    from portal.community.models import Building, Grid

    building, grid = Building._meta.db_table, Grid._meta.db_table
    user = User._meta.db_table
    base = (
        f"FROM {plan} p JOIN {person} e ON e.id = p.elder_id "
        f"LEFT JOIN {household} h ON h.id = e.household_id "
        f"LEFT JOIN {building} b ON b.id = h.building_id "
        f"LEFT JOIN {grid} g ON g.id = b.grid_id "
        "WHERE p.is_active = %(yes)s AND e.is_active = %(yes)s"
    )
    # Table names from the models, every value a parameter: nothing typed by anyone reaches the SQL.
    return (
        f"INSERT INTO {notice} (plan_id, due_on, kind, recipient_id, created_at) "  # noqa: S608
        "SELECT c.plan_id, c.due_on, c.kind, c.recipient_id, %(now)s FROM ("
        f"  SELECT p.id AS plan_id, p.due_on AS due_on, %(due)s AS kind, "
        f"         COALESCE(p.assigned_to_id, g.leader_id) AS recipient_id {base} AND p.due_on <= %(today)s"
        "  UNION ALL"
        f"  SELECT p.id, p.due_on, %(overdue)s, g.leader_id {base} AND p.due_on < %(overdue_before)s"
        "  UNION ALL"
        f"  SELECT p.id, p.due_on, %(unreached)s, g.leader_id {base} AND p.unreached_in_row >= %(times)s"
        f") c JOIN {user} u ON u.id = c.recipient_id AND u.is_active = %(yes)s "
        # No NOT EXISTS against the notices here: planned over a table that grows during the statement, it
        # became a quadratic nested loop (13 s at 34,000 notices); the unique index decides, row by row.
        # (The WHERE keeps SQLite from reading the upsert's ON as the join's.)
        "WHERE c.plan_id IS NOT NULL "
        "ON CONFLICT DO NOTHING "
        "RETURNING id, plan_id, kind, recipient_id"
    )


def outreach_scan(*, today: datetime.date | None = None) -> dict:
    """The daily scan: tell each responsible person once about the contacts due (one message listing her
    elders), and the grid leader once about those overdue past the grace period or not reached twice in a
    row. Returns ``{"due": n, "overdue": n, "unreached": n, "messages": n}``: the notices this call created
    and the messages it queued (0 on a second run the same day). A constant number of queries."""
    today = today or timezone.localdate()
    params = {
        "yes": True,
        "now": timezone.now(),
        "today": today,
        "overdue_before": today - datetime.timedelta(days=GRACE_DAYS),
        "times": UNREACHED_ESCALATE,
        "due": NoticeKind.DUE.value,
        "overdue": NoticeKind.OVERDUE.value,
        "unreached": NoticeKind.UNREACHED.value,
    }
    counts = {"due": 0, "overdue": 0, "unreached": 0, "messages": 0}
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # the names come back with the rows inserted (a data-modifying CTE): no second lookup
                cursor.execute(
                    f"WITH ins AS ({_scan_sql()}) "  # noqa: S608 (table names from the models)
                    f"SELECT ins.id, ins.plan_id, ins.kind, ins.recipient_id, e.name FROM ins "
                    f"JOIN {ContactPlan._meta.db_table} p ON p.id = ins.plan_id "
                    f"JOIN {Person._meta.db_table} e ON e.id = p.elder_id",
                    params,
                )
                rows = cursor.fetchall()
                inserted = [row[:4] for row in rows]
                names = {row[1]: row[4] for row in rows}
            else:
                cursor.execute(_scan_sql(), params)
                inserted = cursor.fetchall()
                names = None
        if RACE_PAUSE_SECONDS:
            time.sleep(RACE_PAUSE_SECONDS)
        if not inserted:
            return counts
        if names is None:
            names = dict(
                ContactPlan.objects.filter(pk__in={row[1] for row in inserted}).values_list(
                    "pk", "elder__name"
                )
            )
        groups: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
        for notice_id, plan_id, kind, recipient_id in inserted:
            counts[kind] += 1
            groups[(recipient_id, kind)].append((notice_id, names.get(plan_id, "")))
        users = User.objects.in_bulk({recipient for recipient, _kind in groups})
        items = []
        for (recipient_id, kind), rows in sorted(groups.items()):
            rows.sort(key=lambda r: (r[1], r[0]))
            first = min(notice_id for notice_id, _name in rows)
            listed = [name for _id, name in rows[:NAMES_IN_MESSAGE]]
            items.append(
                {
                    # derived from the notices: a notice is inserted once, so its message is queued once
                    "key": f"elders.outreach.{kind}:{recipient_id}:{first}",
                    "template": _KIND_TEMPLATES[kind],
                    "context": {
                        "names": listed,
                        "count": len(rows),
                        "more": len(rows) - len(listed),
                        "grace_days": GRACE_DAYS,
                    },
                    "user": users[recipient_id],
                }
            )
        message_enqueue_many(items=items)
        counts["messages"] = len(items)
    return counts


def elders_without_plan_ids(*, today: datetime.date) -> list[int]:
    """Elders (60+ on the day, or with a profile) who have no contact plan yet."""
    return list(
        Person.objects.filter(elder_q(on=today), is_active=True, contact_plan__isnull=True).values_list(
            "pk", flat=True
        )
    )


def outreach_daily_run(*, today: datetime.date | None = None) -> dict:
    """The daily job's body (``elders.tasks.daily_outreach``): each step in its own transaction; a step
    that fails is logged and the others still run. Safe to run twice: each step is."""
    from .birthdays import birthday_greetings_send
    from .partners import plans_check_missed
    from .risk import elder_risk_refresh

    today = today or timezone.localdate()
    result: dict[str, object] = {}

    def step(name, fn):
        try:
            with transaction.atomic():
                result[name] = fn()
        except Exception:  # noqa: BLE001 - one step's failure must not stop the others
            logger.exception("Daily outreach step %s failed", name)
            result[name] = "error"

    def risk_and_plans():
        changed = elder_risk_refresh(today=today)
        ids = set(changed or ()) | set(elders_without_plan_ids(today=today))
        return {"risk_changed": len(changed or ()), "plans": contact_plans_sync(person_ids=ids, today=today)}

    step("plans", risk_and_plans)
    step("scan", lambda: outreach_scan(today=today))
    step("missed_deliveries", lambda: plans_check_missed(today=today))
    step("birthdays", lambda: birthday_greetings_send(today=today))
    return result


__all__ = [
    "CONTACT_EVERY_DAYS",
    "GRACE_DAYS",
    "UNREACHED_ESCALATE",
    "contact_log_create",
    "contact_plan_for",
    "contact_plan_update",
    "contact_plans_elder_refresh",
    "contact_plans_sync",
    "elder_since",
    "may_log_contact",
    "may_manage_plan",
    "may_update_need",
    "need_create",
    "need_update",
    "outreach_daily_run",
    "outreach_scan",
]
