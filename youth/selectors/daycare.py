"""The holiday day-care (暑托班): programmes of weeks, booking a week or the whole programme for siblings in one go.

Reads only. The pickup piece's roster chooser calls :func:`sessions_on` and :func:`programme_of_session`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import (
    ACTIVE_STATUSES,
    SEATED_STATUSES,
    ActivityStatus,
    Offer,
    Registration,
    RegistrationStatus,
    Session,
)
from events.services.eligibility import WindowState, window_state
from youth.models import DaycareProgramme, DaycareWeek
from youth.selectors.access import youth_activities_managed_by


def programme_of_session(session: Session) -> DaycareProgramme | None:
    """The day-care programme a session belongs to (``None`` for a session that is not a day-care day)."""
    return (
        DaycareProgramme.objects.filter(weeks__activity_id=session.activity_id)
        .select_related("organiser_org")
        .first()
    )


def sessions_on(*, day: datetime.date, user) -> QuerySet[Session]:
    """The day-care sessions of ``day`` (not cancelled) that ``user`` runs, in start order, each with
    ``activity__daycare_week__programme`` loaded: community staff see every programme's, partner staff
    and organisers those of the activities they may manage (``youth_activities_managed_by``)."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    end = start + datetime.timedelta(days=1)
    return (
        Session.objects.filter(
            activity__in=youth_activities_managed_by(user).values("pk"),
            activity__daycare_week__isnull=False,
            cancelled=False,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("activity__daycare_week__programme")
        .order_by("starts_at", "pk")
    )


# --- the guardians' pages -------------------------------------------------------------------------------


def _count(status_q: Q):
    rows = (
        Registration.objects.filter(status_q, activity_id=OuterRef("activity_id"), session__isnull=True)
        .order_by()
        .values("activity_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def weeks_with_counts():
    """Day-care weeks with their activity and, by subquery (no N+1), ``seats_taken``, ``waiting`` (children
    on the waitlist) and ``applied`` (lottery applications)."""
    return (
        DaycareWeek.objects.select_related("activity")
        .annotate(
            seats_taken=_count(Q(status__in=SEATED_STATUSES)),
            waiting=_count(Q(status=RegistrationStatus.WAITLISTED)),
            applied=_count(Q(status=RegistrationStatus.APPLIED)),
            days=Coalesce(
                Subquery(
                    Session.objects.filter(activity_id=OuterRef("activity_id"), cancelled=False)
                    .order_by()
                    .values("activity_id")
                    .annotate(n=Count("pk"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                Value(0),
            ),
        )
        .order_by("number")
    )


def _published_q() -> Q:
    return Q(
        Exists(
            DaycareWeek.objects.filter(programme=OuterRef("pk"), activity__status=ActivityStatus.PUBLISHED)
        )
    )


def programmes_listed(*, user, today: datetime.date | None = None):
    """The programmes not yet over (published, or run by ``user``), soonest first, with their weeks and
    counts: two queries whatever the number of programmes and weeks."""
    today = today or timezone.localdate()
    managed = youth_activities_managed_by(user).values("pk")
    return (
        DaycareProgramme.objects.filter(ends_on__gte=today)
        .filter(_published_q() | Q(weeks__activity__in=managed))
        .distinct()
        .select_related("organiser_org")
        .prefetch_related(Prefetch("weeks", queryset=weeks_with_counts(), to_attr="week_list"))
        .order_by("starts_on", "pk")
    )


def programme_get_for(*, user, programme_id) -> DaycareProgramme:
    """One programme she may see (published, or one she runs), with its weeks and counts; 404 otherwise."""
    try:
        return programmes_listed(user=user, today=datetime.date.min).get(pk=int(programme_id))
    except (DaycareProgramme.DoesNotExist, TypeError, ValueError, OverflowError):
        raise Http404 from None


def programme_manageable_get(*, user, programme_id) -> DaycareProgramme:
    """A programme the staff member runs (she may manage its weeks' activities), or 404."""
    try:
        return (
            DaycareProgramme.objects.filter(
                weeks__activity__in=youth_activities_managed_by(user).values("pk")
            )
            .distinct()
            .get(pk=int(programme_id))
        )
    except (DaycareProgramme.DoesNotExist, TypeError, ValueError, OverflowError):
        raise Http404 from None


def managed_programme_ids(*, user) -> set[int]:
    return set(
        DaycareWeek.objects.filter(activity__in=youth_activities_managed_by(user).values("pk")).values_list(
            "programme_id", flat=True
        )
    )


@dataclass(frozen=True)
class ProgrammeState:
    code: str  # not_yet_open / early / open / lottery / full / closed
    text: str
    badge: str


def _fmt(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def programme_state(programme: DaycareProgramme, *, now=None) -> ProgrammeState:
    """Where booking stands, in words (no query: the weeks are loaded by :func:`programmes_listed`). The
    weeks share their windows; "full" when no week has a seat left (a waitlist may still take her)."""
    now = now or timezone.now()
    weeks = getattr(programme, "week_list", None)
    if weeks is None:
        weeks = list(weeks_with_counts().filter(programme=programme))
    if not weeks:
        return ProgrammeState("closed", _("Booking closed"), "text-bg-secondary")
    activity = weeks[0].activity
    state = window_state(activity=activity, now=now)
    if state == WindowState.CLOSED:
        return ProgrammeState("closed", _("Booking closed"), "text-bg-secondary")
    if state == WindowState.NOT_YET_OPEN:
        if activity.early_opens_at:
            return ProgrammeState(
                "not_yet_open",
                _("Booking opens on %(early)s for priority families, on %(when)s for everyone")
                % {"early": _fmt(activity.early_opens_at), "when": _fmt(activity.booking_opens_at)},
                "text-bg-info",
            )
        return ProgrammeState(
            "not_yet_open",
            _("Booking opens on %(when)s") % {"when": _fmt(activity.booking_opens_at)},
            "text-bg-info",
        )
    if state == WindowState.EARLY:
        return ProgrammeState(
            "early",
            _("Early booking for priority families (%(group)s); everyone from %(when)s")
            % {
                "group": activity.early_group.name if activity.early_group_id else "",
                "when": _fmt(activity.booking_opens_at),
            },
            "text-bg-warning",
        )
    if activity.is_lottery:
        return ProgrammeState(
            "lottery",
            _("Lottery: apply until %(when)s") % {"when": _fmt(activity.booking_closes_at)},
            "text-bg-brand",
        )
    if all(w.seats_taken >= (w.activity.capacity or 0) for w in weeks):
        if activity.waitlist_enabled:
            return ProgrammeState("full", _("Full: you can join the waitlist"), "text-bg-warning")
        return ProgrammeState("full", _("Fully booked"), "text-bg-secondary")
    return ProgrammeState("open", _("Open for booking"), "text-bg-success")


def _position_subquery():
    """1 for the next in line (the engine's ``waitlist_position``, as a subquery for many rows at once)."""
    ahead = (
        Registration.objects.filter(
            activity_id=OuterRef("activity_id"),
            session__isnull=True,
            status=RegistrationStatus.WAITLISTED,
            queue_no__lt=OuterRef("queue_no"),
        )
        .order_by()
        .values("activity_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)) + 1


def daycare_registrations(*, children, programme: DaycareProgramme | None = None):
    """The active registrations of ``children`` in day-care weeks (of ``programme``, or every programme),
    with week, programme, person, open offer and ``position`` (waitlist) loaded: one query."""
    qs = Registration.objects.filter(
        person__in=children,
        activity__daycare_week__isnull=False,
        status__in=ACTIVE_STATUSES,
        session__isnull=True,
    )
    if programme is not None:
        qs = qs.filter(activity__daycare_week__programme=programme)
    return (
        qs.select_related("person", "activity__daycare_week__programme", "offer", "booking")
        .annotate(position=_position_subquery())
        .order_by(
            "activity__daycare_week__programme__starts_on", "activity__daycare_week__number", "person__name"
        )
    )


def status_by_week(*, programme: DaycareProgramme, children) -> dict[int, list[Registration]]:
    """``{week id: [registration, ...]}`` of her children in the programme's weeks."""
    out: dict[int, list[Registration]] = {}
    for reg in daycare_registrations(children=children, programme=programme):
        out.setdefault(reg.activity.daycare_week.pk, []).append(reg)
    return out


def open_offer(reg: Registration, *, now=None) -> Offer | None:
    now = now or timezone.now()
    if (
        reg.status == RegistrationStatus.OFFERED
        and reg.offer_id
        and reg.offer.status == Offer.Status.OPEN
        and reg.offer.expires_at > now
    ):
        return reg.offer
    return None
