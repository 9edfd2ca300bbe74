"""Reads of volunteer profiles."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from portal.community.models import Person

from .models import HoursEntry, HoursStatus, VolunteerProfile


def volunteers_active(*, organization=None) -> QuerySet[VolunteerProfile]:
    qs = VolunteerProfile.objects.active().select_related(
        "person__household__building__estate", "organization"
    )
    if organization is not None:
        qs = qs.filter(organization=organization)
    return qs


def person_is_volunteer(*, person: Person) -> bool:
    """A Person with an active VolunteerProfile is a volunteer."""
    return VolunteerProfile.objects.active().filter(person=person).exists()


# --- the hours ledger ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursSummary:
    """A volunteer's ledger with its totals: approved hours count, pending ones wait for staff."""

    entries: list
    approved: Decimal
    pending: Decimal
    rejected: Decimal


def volunteer_of(*, user) -> VolunteerProfile | None:
    """The signed-in user's own active volunteer profile, or None."""
    if user is None or not user.is_authenticated:
        return None
    return VolunteerProfile.objects.active().select_related("person").filter(person__user_id=user.pk).first()


def hours_of(*, volunteer: VolunteerProfile, date_from=None, date_to=None) -> HoursSummary:
    """Her ledger, newest first, with totals (two queries whatever its length)."""
    qs = HoursEntry.objects.filter(volunteer=volunteer)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    zero = Value(Decimal("0"), output_field=DecimalField(max_digits=9, decimal_places=2))
    totals = qs.aggregate(
        approved=Coalesce(Sum("hours", filter=Q(status=HoursStatus.APPROVED)), zero),
        pending=Coalesce(Sum("hours", filter=Q(status=HoursStatus.PENDING)), zero),
        rejected=Coalesce(Sum("hours", filter=Q(status=HoursStatus.REJECTED)), zero),
    )
    cents = Decimal("0.01")
    totals = {k: Decimal(v).quantize(cents) for k, v in totals.items()}
    return HoursSummary(entries=list(qs.order_by("-date", "-id")), **totals)


def hours_approved_of(*, volunteer: VolunteerProfile, date_from=None, date_to=None) -> QuerySet[HoursEntry]:
    """Only approved hours: what a certificate counts, oldest first."""
    qs = HoursEntry.objects.approved().filter(volunteer=volunteer)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    return qs.order_by("date", "id")


def may_decide_hours(user) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and (user.is_community_staff or user.is_staff)
    )


def hours_pending_for(*, viewer) -> QuerySet[HoursEntry]:
    """Pending entries for staff to decide, flagged first, then oldest first. Empty for anyone else."""
    if not may_decide_hours(viewer):
        return HoursEntry.objects.none()
    return (
        HoursEntry.objects.filter(status=HoursStatus.PENDING)
        .select_related("volunteer__person")
        .order_by("-flagged", "date", "id")
    )


def hours_pending_get_for(*, viewer, entry_id) -> HoursEntry:
    try:
        return hours_pending_for(viewer=viewer).get(pk=entry_id)
    except (HoursEntry.DoesNotExist, ValueError, TypeError):
        raise Http404("No such pending hours.") from None
