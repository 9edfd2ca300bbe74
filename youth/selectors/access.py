"""Who may see which child. Every youth page and task reads children through these functions.

* a guardian (``Relation`` of kind guardian): her own children, and nobody else's (404);
* the staff running a child's programme: community staff every child; partner staff and an activity's
  own organiser the children with an active registration in a youth activity they may manage
  (``events.selectors.can_manage_activity``);
* nobody else.

A child is an active person under ``ADULT_AGE`` on the day. Until her guardian's consent to keeping a
child's information is on record (for a child under 14, ``ConsentPurpose.MINOR``), only her name and age
are kept: :func:`child_consent_required` is the one check every write of a child's details calls.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import ACTIVE_STATUSES, Activity, Area, Registration
from portal.community.models import ConsentPurpose, Person, Relation, RelationKind
from portal.community.selectors import has_consent, person_of

ADULT_AGE = 18
#: PIPL art. 31: a child under this age needs a guardian's consent before her information is kept.
CONSENT_AGE = 14


def _cutoff(years: int, on: datetime.date) -> datetime.date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def child_q(*, on: datetime.date | None = None, prefix: str = "") -> Q:
    """The Q that makes a Person a child on the day ``on`` (today by default): born after the cutoff."""
    on = on or timezone.localdate()
    return Q(**{f"{prefix}birth_date__gt": _cutoff(ADULT_AGE, on)})


def youth_activities_managed_by(user) -> QuerySet[Activity]:
    """The youth-area activities (day-care weeks, classes, lectures) a user may run, in one query."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Activity.objects.none()
    qs = Activity.objects.filter(area=Area.YOUTH)
    if user.is_community_staff:
        return qs
    scope = Q(organiser_user_id=user.pk)
    if user.is_partner_staff and user.organization_id:
        scope |= Q(organiser_org_id=user.organization_id)
    return qs.filter(scope)


def youth_activities_managed_where(user, alias: str) -> tuple[str, list] | None:
    """:func:`youth_activities_managed_by` as a condition on the activity table under ``alias`` (SQL and
    its parameters), for the raw reads of the tablet pages; None when she may run none. The same rule
    (tests/youth/test_roster_raw.py holds the two equal)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    qn = connection.ops.quote_name
    sql, params = f"{alias}.{qn('area')} = %s", [Area.YOUTH.value]
    if user.is_community_staff:
        return sql, params
    scope, scope_params = [f"{alias}.{qn('organiser_user_id')} = %s"], [user.pk]
    if user.is_partner_staff and user.organization_id:
        scope.append(f"{alias}.{qn('organiser_org_id')} = %s")
        scope_params.append(user.organization_id)
    return f"{sql} AND ({' OR '.join(scope)})", params + scope_params


def may_run_youth(user) -> bool:
    """May use the youth staff pages at all (a day roster, the sign-out tablet): community staff, or staff
    who run at least one youth activity."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_community_staff:
        return True
    return youth_activities_managed_by(user).exists()


def children_of(user) -> QuerySet[Person]:
    """The children a user is guardian of (active persons under 18), in name order."""
    me = person_of(user) if user is not None and user.is_authenticated else None
    if me is None:
        return Person.objects.none()
    return (
        Person.objects.active()
        .filter(child_q())
        .filter(relations_to__subject=me, relations_to__kind=RelationKind.GUARDIAN)
        .distinct()
    )


def child_get_for_guardian(*, user, child_id) -> Person:
    """One of her own children, or 404 (another family's child, a stranger, a bad id)."""
    try:
        return children_of(user).get(pk=int(child_id))
    except (Person.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def children_visible_to_staff(user) -> QuerySet[Person]:
    """The children whose programme a staff member runs: every child for community staff, those with an
    active registration in one of her youth activities otherwise."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Person.objects.none()
    base = Person.objects.active().filter(child_q())
    if user.is_community_staff:
        return base
    booked = Registration.objects.filter(
        person_id=OuterRef("pk"),
        status__in=ACTIVE_STATUSES,
        activity__in=youth_activities_managed_by(user).values("pk"),
    )
    return base.filter(Exists(booked))


def child_get_for_staff(*, user, child_id) -> Person:
    try:
        return children_visible_to_staff(user).get(pk=int(child_id))
    except (Person.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def guardians_of(child: Person) -> list[Person]:
    """Her guardians (those who act for her), with their accounts, in a stable order."""
    return list(
        Person.objects.filter(relations__relative=child, relations__kind=RelationKind.GUARDIAN)
        .select_related("user")
        .order_by("pk")
        .distinct()
    )


def guardians_by_child(child_ids) -> dict[int, list[Person]]:
    """``{child id: [guardian, ...]}`` for many children in one query."""
    out: dict[int, list[Person]] = {}
    rows = (
        Relation.objects.filter(relative_id__in=list(child_ids), kind=RelationKind.GUARDIAN)
        .select_related("subject__user")
        .order_by("relative_id", "subject_id")
    )
    for rel in rows:
        out.setdefault(rel.relative_id, []).append(rel.subject)
    return out


def child_consent_ok(child: Person) -> bool:
    """Her details beyond name and age may be kept: she is 14 or over, or her guardian has consented."""
    if not child.needs_guardian_consent:
        return True
    return has_consent(person=child, purpose=ConsentPurpose.MINOR)


def child_consent_required(child: Person, *, field: str | None = None) -> None:
    """Raise a translated ``ValidationError`` unless the child's details may be kept (see above)."""
    if child_consent_ok(child):
        return
    message = _(
        "%(name)s is under 14: her details can only be kept once a guardian has given consent to keeping "
        "a child's information (under My family)."
    ) % {"name": child.name}
    raise ValidationError({field: message} if field else message, code="guardian_consent")
