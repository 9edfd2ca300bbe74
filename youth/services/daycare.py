"""The holiday day-care (暑托班): programmes of weeks, booking a week or the whole programme for siblings in one go.

A programme is cut into calendar weeks (Monday to Friday, cut by its first and last day); each week is an
events activity of the youth area booked as a whole course (``RegistrationScope.COURSE``: one registration
covers the week's days), with one session per working day: weekends and the portal's public holidays
(``portal.holidays``) have no day-care, and a week left with no working day at all (the National Day
week) is no week. Windows, early window for a priority group, lottery or first come, capacity and
waitlist are the engine's own fields, written through ``events.services.activity_create``.

Booking (:func:`daycare_book`) books each chosen week through ``events.services.booking_create`` (the
siblings together in one booking per week), all weeks in one transaction: a refusal in any week books
nothing at all, and the error names the week and the child.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events.models import (
    ACTIVE_STATUSES,
    Activity,
    ActivityStatus,
    AllocationMode,
    Area,
    Booking,
    EarlyWindowFor,
    Registration,
    RegistrationScope,
    RegistrationStatus,
    Session,
    TargetGroup,
)
from events.selectors import waitlist_position
from events.services import activity_create, activity_update, booking_create, sessions_create_on_dates
from events.services.activities import may_create_activity
from events.services.sessions import session_update
from portal.audit import set_actor
from portal.community.models import Organization, Person
from portal.holidays.models import DayKind
from portal.holidays.selectors import calendar_days
from portal.notify.services import message_enqueue
from youth.models import DaycareProgramme, DaycareWeek
from youth.selectors.access import child_consent_ok, children_of

#: A holiday day-care runs at most this many weeks (the summer holiday is about eight).
WEEKS_MAX = 16
#: The programme's title leaves room for the week's words on each week's activity (200 characters).
TITLE_MAX = 180
CAPACITY_MAX = 500
AGE_MAX = 17


# --- the plan of weeks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedWeek:
    monday: datetime.date
    days: tuple[datetime.date, ...]  # the working days, in order

    @property
    def first(self) -> datetime.date:
        return self.days[0]

    @property
    def last(self) -> datetime.date:
        return self.days[-1]


def week_plan(
    *, starts_on: datetime.date, ends_on: datetime.date
) -> tuple[list[PlannedWeek], list[datetime.date]]:
    """The weeks of a programme from ``starts_on`` to ``ends_on`` with their working days (Monday to
    Friday, public holidays left out), and the public holidays that were left out. One query."""
    official = calendar_days(starts_on, ends_on)
    weeks: dict[datetime.date, list[datetime.date]] = {}
    skipped: list[datetime.date] = []
    day = starts_on
    while day <= ends_on:
        entry = official.get(day)
        if day.weekday() < 5:
            if entry is not None and entry.kind == DayKind.HOLIDAY:
                skipped.append(day)
            else:
                weeks.setdefault(day - datetime.timedelta(days=day.weekday()), []).append(day)
        day += datetime.timedelta(days=1)
    return [PlannedWeek(monday=m, days=tuple(d)) for m, d in sorted(weeks.items())], skipped


def _week_title(title: str, number: int) -> str:
    return _("%(title)s · week %(number)d") % {"title": title, "number": number}


def _at(day: datetime.date, t: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, t, tzinfo=timezone.get_current_timezone())


# --- checks -----------------------------------------------------------------------------------------


def _check_programme(
    *,
    title: str,
    place: str,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    day_starts: datetime.time | None,
    day_ends: datetime.time | None,
) -> None:
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not title:
        refuse("title", _("Give the day-care a title."))
    elif len(title) > TITLE_MAX:
        refuse("title", _("The title can be at most %(n)d characters long.") % {"n": TITLE_MAX})
    if not place:
        refuse("place", _("Say where the day-care takes place."))
    elif len(place) > 200:
        refuse("place", _("The place can be at most %(n)d characters long.") % {"n": 200})
    if starts_on is None:
        refuse("starts_on", _("Give the first day."))
    if ends_on is None:
        refuse("ends_on", _("Give the last day."))
    if starts_on and ends_on:
        if ends_on < starts_on:
            refuse("ends_on", _("The last day cannot be before the first day."))
        elif (ends_on - starts_on).days > WEEKS_MAX * 7:
            refuse("ends_on", _("A day-care runs at most %(n)d weeks.") % {"n": WEEKS_MAX})
    if day_starts is None:
        refuse("day_starts", _("Give the time of drop-off."))
    if day_ends is None:
        refuse("day_ends", _("Give the time of the latest pickup."))
    if day_starts and day_ends and day_ends <= day_starts:
        refuse("day_ends", _("The latest pickup must be after drop-off."))
    if errors:
        raise ValidationError(errors)


def _check_ages_capacity(*, min_age, max_age, capacity) -> None:
    errors: dict[str, list[str]] = {}
    for field, age in (("min_age", min_age), ("max_age", max_age)):
        if age is not None and not 0 <= age <= AGE_MAX:
            errors.setdefault(field, []).append(
                _("A child's age is between 0 and %(max)d.") % {"max": AGE_MAX}
            )
    if min_age is not None and max_age is not None and max_age < min_age:
        errors.setdefault("max_age", []).append(_("The maximum age cannot be below the minimum age."))
    if capacity is None or not 1 <= capacity <= CAPACITY_MAX:
        errors.setdefault("capacity", []).append(
            _("The places a day are between 1 and %(max)d.") % {"max": CAPACITY_MAX}
        )
    if errors:
        raise ValidationError(errors)


#: The engine's field names, as the day-care form names them.
_ENGINE_FIELDS = {"early_for": "early_group", "organiser": "organiser_org", "dates": "starts_on"}


def _engine_errors(exc: ValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError({_ENGINE_FIELDS.get(k, k): v for k, v in exc.error_dict.items()})
    return exc


# --- programmes ---------------------------------------------------------------------------------------


def _create_week(
    *, actor, programme: DaycareProgramme, number: int, planned: PlannedWeek, data: dict, capacity: int
) -> DaycareWeek:
    try:
        activity = activity_create(actor=actor, data={**data, "title": _week_title(programme.title, number)})
        sessions_create_on_dates(
            actor=actor,
            activity=activity,
            dates=planned.days,
            start_time=programme.day_starts,
            end_time=programme.day_ends,
            capacity=capacity,
        )
    except ValidationError as exc:
        raise _engine_errors(exc) from exc
    return DaycareWeek.objects.create(
        programme=programme, activity=activity, number=number, starts_on=planned.first, ends_on=planned.last
    )


def daycare_programme_create(
    *,
    actor,
    title: str,
    description: str = "",
    place: str,
    organiser_org: Organization | None = None,
    starts_on: datetime.date,
    ends_on: datetime.date,
    day_starts: datetime.time,
    day_ends: datetime.time,
    min_age: int | None,
    max_age: int | None,
    capacity: int,
    allocation: str = AllocationMode.FCFS,
    booking_opens_at: datetime.datetime | None,
    booking_closes_at: datetime.datetime | None,
    early_opens_at: datetime.datetime | None = None,
    early_group: TargetGroup | None = None,
    waitlist: bool = True,
) -> DaycareProgramme:
    """Create a day-care programme with its weeks (each an events activity with its daily sessions).

    Who may: as for any activity (``may_create_activity``): community staff, or partner staff for their
    own organisation. Raises ``PermissionDenied`` or a ``ValidationError`` keyed by field; saves nothing then."""
    if not may_create_activity(actor):
        raise PermissionDenied
    title, place, description = (title or "").strip(), (place or "").strip(), (description or "").strip()
    _check_programme(
        title=title,
        place=place,
        starts_on=starts_on,
        ends_on=ends_on,
        day_starts=day_starts,
        day_ends=day_ends,
    )
    _check_ages_capacity(min_age=min_age, max_age=max_age, capacity=capacity)
    if early_opens_at is not None and early_group is None:
        raise ValidationError(
            {"early_group": _("Choose the priority group that may book early.")}, code="no_early_group"
        )
    if allocation not in AllocationMode.values:
        raise ValidationError({"allocation": _("Choose how places are given.")}, code="bad_allocation")
    plan, _skipped = week_plan(starts_on=starts_on, ends_on=ends_on)
    if not plan:
        raise ValidationError(
            {"ends_on": _("There is no working day between the first and the last day.")}, code="no_days"
        )
    data = {
        "description": description,
        "area": Area.YOUTH,
        "place": place,
        "status": ActivityStatus.PUBLISHED,
        "min_age": min_age,
        "max_age": max_age,
        "registration_scope": RegistrationScope.COURSE,
        "capacity": capacity,
        "allocation": allocation,
        "waitlist_enabled": bool(waitlist),
        "booking_opens_at": booking_opens_at,
        "booking_closes_at": booking_closes_at,
        "early_opens_at": early_opens_at,
        "early_for": EarlyWindowFor.GROUP if early_opens_at is not None else "",
        "early_group": early_group if early_opens_at is not None else None,
        "organiser_org": organiser_org,
    }
    with transaction.atomic(), set_actor(actor):
        programme = DaycareProgramme.objects.create(
            title=title,
            description=description,
            place=place,
            organiser_org=organiser_org if not actor.is_partner_staff else actor.organization,
            starts_on=starts_on,
            ends_on=ends_on,
            day_starts=day_starts,
            day_ends=day_ends,
            min_age=min_age,
            max_age=max_age,
            created_by=actor,
        )
        for number, planned in enumerate(plan, start=1):
            _create_week(
                actor=actor, programme=programme, number=number, planned=planned, data=data, capacity=capacity
            )
    return programme


def _may_manage_programme(actor, programme: DaycareProgramme) -> bool:
    from events.selectors import can_manage_activity

    week = programme.weeks.select_related("activity").first()
    return week is not None and can_manage_activity(user=actor, activity=week.activity)


def _booked_count(activity_ids) -> int:
    return Registration.objects.filter(activity_id__in=list(activity_ids), status__in=ACTIVE_STATUSES).count()


def daycare_programme_update(
    *,
    actor,
    programme: DaycareProgramme,
    title: str,
    description: str = "",
    place: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    day_starts: datetime.time,
    day_ends: datetime.time,
) -> DaycareProgramme:
    """Change a programme's title, description, place, dates and daily times (its weeks' activities and
    sessions follow). Lengthening adds days and weeks; shortening is refused once anyone is booked into a
    day it would drop (the reason says how many). Sessions already started are left as they were."""
    if not _may_manage_programme(actor, programme):
        raise PermissionDenied
    title, place, description = (title or "").strip(), (place or "").strip(), (description or "").strip()
    _check_programme(
        title=title,
        place=place,
        starts_on=starts_on,
        ends_on=ends_on,
        day_starts=day_starts,
        day_ends=day_ends,
    )
    now = timezone.now()
    with transaction.atomic(), set_actor(actor):
        locked = DaycareProgramme.objects.select_for_update().get(pk=programme.pk)
        weeks = list(locked.weeks.select_related("activity").order_by("number"))
        plan, _skipped = week_plan(starts_on=starts_on, ends_on=ends_on)
        if not plan:
            raise ValidationError(
                {"ends_on": _("There is no working day between the first and the last day.")}, code="no_days"
            )
        wanted_days = {d for w in plan for d in w.days}
        sessions = list(
            Session.objects.filter(activity__daycare_week__programme=locked, cancelled=False).select_related(
                "activity"
            )
        )
        dropped = [s for s in sessions if timezone.localtime(s.starts_at).date() not in wanted_days]
        if dropped:
            if any(s.starts_at <= now for s in dropped):
                raise ValidationError(
                    {"starts_on": _("Days that have already begun cannot be taken out of the day-care.")},
                    code="started",
                )
            # A week whose every day goes is dropped whole; booked children would lose their place.
            hit = {s.activity_id for s in dropped}
            booked = _booked_count(hit)
            if booked:
                raise ValidationError(
                    {
                        "ends_on": ngettext(
                            "%(n)d child is booked into the days this would drop: the day-care cannot be shortened.",
                            "%(n)d children are booked into the days this would drop: the day-care cannot be shortened.",
                            booked,
                        )
                        % {"n": booked}
                    },
                    code="booked",
                )
        locked.title, locked.description, locked.place = title, description, place
        locked.starts_on, locked.ends_on = starts_on, ends_on
        times_changed = (locked.day_starts, locked.day_ends) != (day_starts, day_ends)
        locked.day_starts, locked.day_ends = day_starts, day_ends
        locked.save()
        # Days dropped (nobody booked into them): their sessions go, and a week left empty goes too.
        for s in dropped:
            s.delete()
        by_monday = {w.starts_on - datetime.timedelta(days=w.starts_on.weekday()): w for w in weeks}
        kept: list[DaycareWeek] = []
        for week in weeks:
            if not week.activity.sessions.filter(cancelled=False).exists():
                activity = week.activity
                week.delete()
                activity.delete()
                by_monday = {k: v for k, v in by_monday.items() if v.pk != week.pk}
            else:
                kept.append(week)
        # Days added: into their week, or a new week.
        base = weeks[0].activity if weeks else None
        existing_days = {timezone.localtime(s.starts_at).date() for s in sessions if s not in dropped}
        new_weeks: list[tuple[PlannedWeek, DaycareWeek | None]] = []
        for planned in plan:
            missing = [d for d in planned.days if d not in existing_days]
            week = by_monday.get(planned.monday)
            if week is not None and missing:
                try:
                    sessions_create_on_dates(
                        actor=actor,
                        activity=week.activity,
                        dates=missing,
                        start_time=day_starts,
                        end_time=day_ends,
                        capacity=week.activity.capacity or 0,
                    )
                except ValidationError as exc:
                    raise _engine_errors(exc) from exc
            new_weeks.append((planned, week))
        # Number the weeks again in date order (out of the way first: the numbers are unique).
        for w in kept:
            DaycareWeek.objects.filter(pk=w.pk).update(number=w.number + 1000)
        for number, (planned, week) in enumerate(new_weeks, start=1):
            if week is None:
                if base is None:
                    raise ValidationError({"starts_on": _("This day-care has no weeks left to copy.")})
                data = {
                    f: getattr(base, f)
                    for f in (
                        "area",
                        "status",
                        "min_age",
                        "max_age",
                        "registration_scope",
                        "capacity",
                        "allocation",
                        "waitlist_enabled",
                        "booking_opens_at",
                        "booking_closes_at",
                        "early_opens_at",
                        "early_for",
                        "early_group",
                        "organiser_org",
                        "offer_hold_hours",
                        "cancel_hours_before",
                    )
                }
                data.update(description=description, place=place)
                _create_week(
                    actor=actor,
                    programme=locked,
                    number=number,
                    planned=planned,
                    data=data,
                    capacity=base.capacity,
                )
                continue
            DaycareWeek.objects.filter(pk=week.pk).update(
                number=number, starts_on=planned.first, ends_on=planned.last
            )
            changes = {"title": _week_title(title, number), "place": place, "description": description}
            if (week.activity.title, week.activity.place, week.activity.description) != tuple(
                changes.values()
            ):
                try:
                    activity_update(actor=actor, activity=week.activity, data=changes)
                except ValidationError as exc:
                    raise _engine_errors(exc) from exc
        if times_changed:
            for s in Session.objects.filter(
                activity__daycare_week__programme=locked, cancelled=False, starts_at__gt=now
            ).select_related("activity"):
                day = timezone.localtime(s.starts_at).date()
                start, end = _at(day, day_starts), _at(day, day_ends)
                if (s.starts_at, s.ends_at) != (start, end):
                    session_update(
                        actor=actor,
                        session=s,
                        starts_at=start,
                        ends_at=end,
                        place=s.place,
                        capacity=s.capacity,
                    )
    programme.refresh_from_db()
    return programme


# --- booking ------------------------------------------------------------------------------------------


@dataclass
class WeekResult:
    """What one week's booking came to: ``confirmed`` / ``waitlisted`` / ``applied`` names, and the
    waitlist position of the first child waiting."""

    week: DaycareWeek
    booking: Booking
    confirmed: list[str]
    waitlisted: list[tuple[str, int | None]]
    applied: list[str]


def week_label(week: DaycareWeek) -> str:
    return _("Week %(number)d (%(first)s–%(last)s)") % {
        "number": week.number,
        "first": week.starts_on.strftime("%m-%d"),
        "last": week.ends_on.strftime("%m-%d"),
    }


def daycare_book(
    *, actor, programme: DaycareProgramme, weeks: Sequence[DaycareWeek], children: Sequence[Person]
) -> list[WeekResult]:
    """Book ``children`` (hers: siblings together, one booking per week) into each of ``weeks``, through
    the engine: a seat, a waitlist place where the week is full, or a lottery application where the
    week is drawn by lottery. All weeks or none: any refusal (age, early window, window closed, already
    booked, a child under 14 without her guardian's consent) books nothing, and the error names the week
    and the child. One summary message to the guardian (``youth.daycare_booked``)."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied
    children = list(dict.fromkeys(children))
    weeks = sorted(dict.fromkeys(weeks), key=lambda w: w.number)
    if not children:
        raise ValidationError({"children": _("Choose at least one child to book for.")}, code="no_children")
    if not weeks:
        raise ValidationError(
            {"weeks": _("Choose at least one week, or the whole programme.")}, code="no_weeks"
        )
    mine = set(children_of(actor).filter(pk__in=[c.pk for c in children]).values_list("pk", flat=True))
    if len(mine) != len(children):
        raise PermissionDenied
    if any(w.programme_id != programme.pk for w in weeks):
        raise ValidationError({"weeks": _("Choose weeks of this day-care.")}, code="other_programme")
    missing = [c.name for c in children if not child_consent_ok(c)]
    if missing:
        raise ValidationError(
            {
                "children": _(
                    "%(names)s: under 14, and a guardian's consent to keeping a child's information is not on "
                    "record yet (give it under My family), so the day-care cannot be booked."
                )
                % {"names": "、".join(missing)}
            },
            code="guardian_consent",
        )
    results: list[WeekResult] = []
    with transaction.atomic(), set_actor(actor):
        for week in weeks:
            try:
                booking = booking_create(actor=actor, activity=week.activity, persons=children)
            except ValidationError as exc:
                label = week_label(week)
                raise ValidationError(
                    {"weeks": [f"{label}: {m}" for m in exc.messages]}, code=getattr(exc, "code", None)
                ) from exc
            regs = list(booking.registrations.select_related("person", "activity").order_by("pk"))
            results.append(
                WeekResult(
                    week=week,
                    booking=booking,
                    confirmed=[r.person.name for r in regs if r.status == RegistrationStatus.CONFIRMED],
                    waitlisted=[
                        (r.person.name, waitlist_position(registration=r))
                        for r in regs
                        if r.status == RegistrationStatus.WAITLISTED
                    ],
                    applied=[r.person.name for r in regs if r.status == RegistrationStatus.APPLIED],
                )
            )
        _notify_booked(actor=actor, programme=programme, results=results)
    return results


def result_lines(results: Sequence[WeekResult]) -> list[str]:
    """One line per week in words: confirmed / waitlisted (number) / applied."""
    lines = []
    for r in results:
        parts = []
        if r.confirmed:
            parts.append(_("confirmed: %(names)s") % {"names": "、".join(r.confirmed)})
        for name, position in r.waitlisted:
            parts.append(
                _("%(name)s on the waitlist, number %(position)s") % {"name": name, "position": position}
            )
        if r.applied:
            parts.append(_("lottery application received: %(names)s") % {"names": "、".join(r.applied)})
        lines.append(f"{week_label(r.week)}: {'; '.join(parts)}")
    return lines


def _notify_booked(*, actor, programme: DaycareProgramme, results: list[WeekResult]) -> None:
    """The one message of a day-care booking, to the guardian who booked (the engine sends none for a
    resident's own booking). Its key names the first week's booking: a booking is told once."""
    if not results:
        return
    message_enqueue(
        key=f"youth.daycare_booked:{results[0].booking.pk}:user:{actor.pk}",
        template="youth.daycare_booked",
        context={
            "programme": programme.title,
            "place": programme.place,
            "weeks": [
                {
                    "number": r.week.number,
                    "first": r.week.starts_on.isoformat(),
                    "last": r.week.ends_on.isoformat(),
                    "confirmed": "、".join(r.confirmed),
                    "waitlisted": "、".join(f"{n} ({p})" for n, p in r.waitlisted),
                    "applied": "、".join(r.applied),
                }
                for r in results
            ],
        },
        user=actor,
    )


def activity_is_daycare(activity: Activity) -> bool:
    return DaycareWeek.objects.filter(activity=activity).exists()
