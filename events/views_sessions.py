"""HTTP for the sessions of an activity, from its manage page: add one, a course of N meetings, a weekly or
fortnightly schedule with a preview before saving, drop-in service days, and changing one session.

Fetched through the scoped selectors (404 for an activity or session the user may not manage); each save
is one service call of ``events.services.sessions``, whose refusal is shown next to its field. The
schedule's preview is computed by ``events.recurrence.schedule_plan``; its token goes back with the save,
which recomputes the plan and refuses it if the calendar changed in between.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from .forms_sessions import CourseForm, DropInForm, ScheduleForm, SessionAddForm, SessionEditForm
from .selectors import activity_manageable_get
from .selectors.roster import roster_counts, session_manageable_get
from .services.sessions import (
    schedule_plan_for,
    schedule_plan_token,
    session_create,
    session_update,
    sessions_create_course,
    sessions_create_on_dates,
    sessions_generate_weekly,
)


def unknown_years_notice(first: datetime.date | None, last: datetime.date | None) -> dict | None:
    """The warning for a schedule (or the sessions of an activity) running into years the portal holds
    no holiday arrangement for: ``{"text", "years", "links": [(year, url)]}``, or None."""
    if first is None or last is None:
        return None
    from portal.holidays.selectors import unknown_years, unknown_years_warning

    missing = unknown_years(first, last)
    if not missing:
        return None
    return {
        "text": unknown_years_warning(first, last, missing=missing),
        "links": [(year, reverse("holidays:year_add") + f"?year={year}") for year in missing],
    }


def _short_weekday(day: datetime.date) -> str:
    names = (
        pgettext("short weekday", "Mon"),
        pgettext("short weekday", "Tue"),
        pgettext("short weekday", "Wed"),
        pgettext("short weekday", "Thu"),
        pgettext("short weekday", "Fri"),
        pgettext("short weekday", "Sat"),
        pgettext("short weekday", "Sun"),
    )
    return names[day.weekday()]


def day_label(day: datetime.date) -> str:
    """ "10月6日" in Chinese, with the year when it is not the current one ("2027年2月9日")."""
    if day.year == timezone.localdate().year:
        return pgettext("month and day", "%(month)d/%(day)d") % {"month": day.month, "day": day.day}
    return pgettext("year, month and day", "%(month)d/%(day)d/%(year)d") % {
        "year": day.year,
        "month": day.month,
        "day": day.day,
    }


def plan_rows(plan) -> dict:
    """The preview's lines, in words: every date held, each holiday skipped, each make-up day to tick."""
    held, skipped = [], []
    for c in plan.candidates:
        if c.included:
            held.append({"date": c.date, "label": f"{day_label(c.date)} {_short_weekday(c.date)}"})
        else:
            skipped.append(
                {
                    "date": c.date,
                    "label": _("%(day)s (%(weekday)s) %(holiday)s: no session")
                    % {
                        "day": day_label(c.date),
                        "weekday": _short_weekday(c.date),
                        "holiday": c.holiday_name,
                    },
                }
            )
    makeup = [
        {
            "value": m.date.isoformat(),
            "label": _("%(day)s (%(weekday)s) is a make-up working day (%(holiday)s): add a session?")
            % {"day": day_label(m.date), "weekday": _short_weekday(m.date), "holiday": m.name},
        }
        for m in plan.makeup_days
    ]
    return {"held": held, "skipped": skipped, "makeup": makeup}


def _created_message(request, n: int) -> None:
    messages.success(
        request,
        ngettext("%(n)d session was created.", "%(n)d sessions were created.", n) % {"n": n},
    )


def _page(request, template: str, context: dict, *, bound: bool):
    return render(request, template, context, status=400 if bound else 200)


def _create_page(request, pk, *, form_class, template: str, create):
    """The pages that add sessions (one, a course, drop-in days): the form, one service call through
    ``create(request, activity, cleaned_data)`` (returns the sessions made) with its refusals next to the
    fields, then back to the manage page."""
    activity = activity_manageable_get(user=request.user, activity_id=pk)
    form = form_class(request.POST or None, activity=activity)
    if request.method == "POST" and form.is_valid():
        try:
            created = create(request, activity, form.cleaned_data)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            _created_message(request, len(created))
            return redirect("events:manage", pk=activity.pk)
    return _page(request, template, {"activity": activity, "form": form}, bound=request.method == "POST")


def _times(request, data) -> dict:
    return {
        "start_time": data["start_time"],
        "end_time": data["end_time"],
        "capacity": data["capacity"],
        "place": data["place"],
        "now": timezone.now(),
    }


@login_required
def session_add(request, pk):
    def create(request, activity, data):
        session = session_create(
            actor=request.user,
            activity=activity,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            capacity=data["capacity"],
            place=data["place"],
            now=timezone.now(),
        )
        return [session]

    return _create_page(
        request, pk, form_class=SessionAddForm, template="events/staff/session_add.html", create=create
    )


@login_required
def course_add(request, pk):
    def create(request, activity, data):
        return sessions_create_course(
            actor=request.user,
            activity=activity,
            first=data["first"],
            weekdays=data["weekdays"],
            count=data["count"],
            **_times(request, data),
        )

    return _create_page(
        request, pk, form_class=CourseForm, template="events/staff/session_course.html", create=create
    )


@login_required
def dropin_add(request, pk):
    def create(request, activity, data):
        return sessions_create_on_dates(
            actor=request.user, activity=activity, dates=data["dates"], **_times(request, data)
        )

    return _create_page(
        request, pk, form_class=DropInForm, template="events/staff/session_dropin.html", create=create
    )


def _posted_makeup_choices(request) -> list[tuple[str, str]]:
    """The make-up days sent back from the preview, as choices (the service checks they are the plan's)."""
    out = []
    for value in request.POST.getlist("makeup_days")[:60]:
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            continue
        out.append((value, value))
    return out


@login_required
def schedule_page(request, pk):
    """GET: the schedule form. POST ``preview``: the plan (dates, the holidays skipped, make-up days to
    tick, unknown years). POST ``save``: the sessions, if the plan is still the one previewed."""
    activity = activity_manageable_get(user=request.user, activity_id=pk)
    bound = request.method == "POST"
    form = ScheduleForm(
        request.POST if bound else None,
        activity=activity,
        makeup_choices=_posted_makeup_choices(request) if bound else (),
    )
    plan = token = None
    chosen: set[datetime.date] = set()
    if bound and form.is_valid():
        data = form.cleaned_data
        try:
            plan = schedule_plan_for(
                first=data["first"], last=data["last"], weekdays=data["weekdays"], every=data["every"]
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            token = schedule_plan_token(plan)
            chosen = set(data["makeup_days"])
            if "save" in request.POST:
                try:
                    created = sessions_generate_weekly(
                        actor=request.user,
                        activity=activity,
                        first=data["first"],
                        last=data["last"],
                        weekdays=data["weekdays"],
                        every=data["every"],
                        start_time=data["start_time"],
                        end_time=data["end_time"],
                        capacity=data["capacity"],
                        place=data["place"],
                        makeup_days=chosen,
                        plan_token=data["plan_token"],
                        now=timezone.now(),
                    )
                except ValidationError as exc:
                    form.apply_service_errors(exc)
                else:
                    _created_message(request, len(created))
                    return redirect("events:manage", pk=activity.pk)
    if plan is not None:
        # The preview's token goes back with the save (a fresh one when the plan changed).
        form.data = form.data.copy()
        form.data["plan_token"] = token
    context = {
        "activity": activity,
        "form": form,
        "plan": plan,
        "rows": plan_rows(plan) if plan else None,
        "plan_token": token,
        "chosen": {d.isoformat() for d in chosen},
        "included_count": len(plan.included) if plan else 0,
        "unknown": unknown_years_notice(plan.first, plan.last) if plan else None,
    }
    ok = plan is not None and not form.errors
    return render(
        request, "events/staff/schedule_preview.html", context, status=200 if (ok or not bound) else 400
    )


@login_required
def session_edit(request, session_id):
    session = session_manageable_get(user=request.user, session_id=session_id)
    activity = session.activity
    now = timezone.now()
    locked = session.cancelled or session.starts_at <= now
    form = SessionEditForm(request.POST or None, activity=activity, session=session)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = session_update(
                actor=request.user,
                session=session,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                place=data["place"],
                capacity=data["capacity"] if not activity.is_course else session.capacity,
                now=now,
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(
                request,
                ngettext(
                    "The session is changed. %(n)d booking was told.",
                    "The session is changed. %(n)d bookings were told.",
                    changed.bookings_told,
                )
                % {"n": changed.bookings_told},
            )
            return redirect("events:manage", pk=activity.pk)
    return _page(
        request,
        "events/staff/session_edit.html",
        {
            "activity": activity,
            "session": session,
            "form": form,
            "locked": locked,
            "counts": roster_counts(session=session),
        },
        bound=request.method == "POST",
    )
