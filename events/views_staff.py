"""HTTP for the staff of an activity: "activities I manage", the manage page (sessions with their counts,
reminder lead times), the roster of a session with attendance and its Excel export, cancelling a session,
and a message to everyone booked.

Everything is fetched through ``events.selectors.roster`` scoped to the user: an activity or session she
may not manage is a 404. Each write is one service call (``reminder_rules_set``, ``session_cancel``,
``session_message_send``) whose translated refusal is shown next to the field.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET, require_http_methods

from portal.accounts.middleware import shows_personal_data
from portal.accounts.ratelimits import client_ip
from portal.exports import xlsx_response

from .forms_roster import RosterCancelForm, RosterOfferForm
from .forms_staff import (
    CancelSessionForm,
    LeadTimesForm,
    RosterFilterForm,
    StaffMessageForm,
    lead_label,
)
from .models import ACTIVE_STATUSES, SEATED_STATUSES, RegistrationStatus, ReminderRule
from .selectors import activity_manageable_get
from .selectors.roster import (
    activity_pool_counts,
    manage_sessions,
    managed_activities,
    next_session_seats,
    roster_counts,
    roster_phone_reveal,
    roster_queryset,
    roster_registration_get,
    roster_row,
    roster_rows,
    session_cancel_told,
    session_manageable_get,
    staff_messages_of,
)
from .services import reminder_leads, reminder_rules_set, session_cancel, session_message_send
from .services.activities import may_create_activity
from .services.booking import cancel_deadline, registration_cancel_on_behalf
from .services.waitlist import waitlist_offer_to
from .views_sessions import unknown_years_notice

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ACTIVITIES_PAGE_SIZE = 20
ROSTER_PAGE_SIZE = 100


def _may_see_staff_pages(user) -> bool:
    return user.is_community_staff or user.is_partner_staff


# --- activities I manage ----------------------------------------------------------------------------


@login_required
@require_GET
def staff_activities(request):
    now = timezone.now()
    qs = managed_activities(user=request.user, now=now)
    if not _may_see_staff_pages(request.user) and not qs.exists():
        raise PermissionDenied
    page = Paginator(qs, ACTIVITIES_PAGE_SIZE).get_page(request.GET.get("page"))
    activities = list(page.object_list)
    seats = next_session_seats(activities)
    for a in activities:
        a.seats = seats.get(a.pk)
    return render(
        request,
        "events/staff/activities.html",
        {"page": page, "activities": activities, "now": now, "may_create": may_create_activity(request.user)},
    )


# --- the manage page --------------------------------------------------------------------------------


@login_required
def activity_manage(request, pk):
    activity = activity_manageable_get(user=request.user, activity_id=pk)
    now = timezone.now()
    has_rules = ReminderRule.objects.filter(activity=activity).exists()
    leads = reminder_leads(activity=activity)
    form = LeadTimesForm(initial={"lead_minutes": leads}, saved=tuple(leads))
    status = 200
    if request.method == "POST":
        form = LeadTimesForm(request.POST, saved=tuple(leads))
        if form.is_valid():
            try:
                chosen = form.cleaned_data["lead_minutes"]
                # The default kept as it was offered stays the default (no rules written).
                chosen = [] if not has_rules and chosen == leads else chosen
                reminder_rules_set(actor=request.user, activity=activity, lead_minutes=chosen)
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                saved = reminder_leads(activity=activity)
                messages.success(
                    request,
                    _("Reminders will be sent %(leads)s each session.")
                    % {"leads": pgettext("list separator", ", ").join(lead_label(m) for m in saved)},
                )
                return redirect("events:manage", pk=activity.pk)
        status = 400
    sessions = list(manage_sessions(activity=activity))
    for s in sessions:
        s.is_past = s.ends_at < now
    # Sessions running into a year with no holiday data were generated without skipping holidays.
    upcoming = [s.local_date for s in sessions if not s.cancelled and not s.is_past]
    context = {
        "activity": activity,
        "sessions": sessions,
        "unknown_years": unknown_years_notice(min(upcoming), max(upcoming)) if upcoming else None,
        "course_counts": activity_pool_counts(activity=activity),
        "leads": [lead_label(m) for m in leads],
        "has_rules": has_rules,
        "sent": staff_messages_of(activity=activity),
        "form": form,
        "now": now,
    }
    return render(request, "events/staff/manage.html", context, status=status)


# --- the roster -------------------------------------------------------------------------------------


def _roster_filter(request) -> tuple[RosterFilterForm, str]:
    data = {"show": request.GET.get("show", "")}
    form = RosterFilterForm(data)
    return form, (form.cleaned_data["show"] if form.is_valid() else "")


@login_required
@require_http_methods(["GET", "POST"])
def roster(request, session_id):
    """The roster; a POST with ``reveal`` (a row's registration) shows that row's full phone number as a
    ``tel:`` link, logged (``roster_phone_reveal``). No script needed: the page is rendered again."""
    session = session_manageable_get(user=request.user, session_id=session_id)
    form, show = _roster_filter(request)
    revealed = {}
    if request.method == "POST":
        shown = roster_phone_reveal(
            viewer=request.user,
            session=session,
            registration_id=request.POST.get("reveal"),
            ip=client_ip(request),
        )
        revealed[shown["pk"]] = shown
    page = Paginator(roster_queryset(session=session, show=show), ROSTER_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    day = session.local_date
    rows = [roster_row(r, day=day) for r in page.object_list]
    for r in rows:
        r["revealed"] = revealed.get(r["pk"])
        r["can_cancel"] = r["status"] in ACTIVE_STATUSES
        r["can_offer"] = r["status"] == RegistrationStatus.WAITLISTED
    query = {"show": show} if show else {}
    return render(
        request,
        "events/staff/roster.html",
        {
            "session": session,
            "activity": session.activity,
            "counts": roster_counts(session=session),
            "filter_form": form,
            "show": show,
            "page": page,
            "rows": rows,
            "query": urlencode(query),
            # where a row's reveal form posts to: this very page of the roster
            "here": urlencode({**query, "page": page.number}),
        },
        status=200 if form.is_valid() else 400,
    )


# --- roster actions: cancel one place for a resident who phoned, offer a seat out of turn -----------------


def _roster_action(request, session_id, registration_id, *, form_class, act, done: str, template, extra):
    """A roster action on one person (cancel her place, offer her a seat): a confirm step with the
    reason, one service call ``act(registration, reason)`` whose refusal shows next to the field, then
    back to the roster with ``done`` (a message about %(name)s)."""
    session = session_manageable_get(user=request.user, session_id=session_id)
    registration = roster_registration_get(session=session, registration_id=registration_id)
    form = form_class(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                act(registration, form.cleaned_data["reason"])
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, done % {"name": registration.person.name})
                return redirect("events:roster", session_id=session.pk)
        status = 400
        registration.refresh_from_db()
    context = {"session": session, "activity": session.activity, "registration": registration, "form": form}
    return render(request, template, {**context, **extra(session, registration)}, status=status)


@shows_personal_data
@login_required
def roster_cancel_view(request, session_id, registration_id):
    """Cancel one person's place at a resident's request: a confirm step with the reason."""

    def extra(session, registration):
        deadline = cancel_deadline(registration=registration)
        return {
            "deadline": deadline,
            "past_deadline": deadline is not None and timezone.now() > deadline,
            "seated": registration.status in SEATED_STATUSES,
        }

    return _roster_action(
        request,
        session_id,
        registration_id,
        form_class=RosterCancelForm,
        act=lambda registration, reason: registration_cancel_on_behalf(
            staff=request.user, registration=registration, reason=reason
        ),
        done=_(
            "The place of %(name)s is cancelled on the resident's behalf and she has been told. "
            "A freed seat goes to the first on the waitlist."
        ),
        template="events/staff/roster_cancel.html",
        extra=extra,
    )


@shows_personal_data
@login_required
def roster_offer_view(request, session_id, registration_id):
    """Offer a free seat to one named person on the waitlist, with the reason."""
    return _roster_action(
        request,
        session_id,
        registration_id,
        form_class=RosterOfferForm,
        act=lambda registration, reason: waitlist_offer_to(
            actor=request.user, registration=registration, reason=reason
        ),
        done=_("A seat is offered to %(name)s; the family has been told."),
        template="events/staff/roster_offer.html",
        extra=lambda session, registration: {"counts": roster_counts(session=session)},
    )


def _export_filename(session) -> tuple[str, str]:
    """(ASCII fallback, UTF-8 name) for the download: activity title and session date."""
    day = timezone.localtime(session.starts_at, SHANGHAI).strftime("%Y-%m-%d")
    title = session.activity.title.strip() or "activity"
    return f"roster-{session.activity_id}-{day}.xlsx", f"{title}-{day}-{_('roster')}.xlsx"


def roster_sheet(*, session, show: str) -> tuple[list[str], list[float], Iterator[list]]:
    """The roster of ``session`` as a sheet: headers in the page's language, column widths, and the rows,
    streamed from one query (no model instance, no whole roster in memory). Written by
    ``portal.exports``, which neutralises every cell and writes times as Shanghai wall-clock time."""
    is_course = session.activity.is_course
    columns = [
        (_("No."), 6),
        (pgettext("person", "Name"), 16),
        (_("Age"), 6),
        (_("Household"), 26),
        (_("Booked by"), 16),
        (_("Booked by staff on the resident's behalf"), 12),
        (_("Status"), 12),
        (_("Waitlist position"), 10),
        (_("Phone (last 4 digits)"), 14),
        (_("Checked in at"), 18),
    ]
    if is_course:
        columns.append((_("Meetings attended"), 10))
    yes, no = _("yes"), ""

    def rows():
        for n, row in enumerate(roster_rows(session=session, show=show), start=1):
            values = [
                n,
                row["name"],
                row["age"],
                row["household"],
                row["booked_by"],
                yes if row["on_behalf"] else no,
                str(row["status_label"]),
                row["position"],
                row["phone_tail"],
                row["checked_in_at"],
            ]
            if is_course:
                values.append(row["meetings_attended"])
            yield values

    return [label for label, _width in columns], [width for _label, width in columns], rows()


@login_required
@require_GET
def roster_export(request, session_id):
    session = session_manageable_get(user=request.user, session_id=session_id)
    _form, show = _roster_filter(request)
    header, widths, rows = roster_sheet(session=session, show=show)
    ascii_name, name = _export_filename(session)
    return xlsx_response(
        name,
        header,
        rows,
        ascii_filename=ascii_name,
        sheet_title=timezone.localtime(session.starts_at, SHANGHAI).strftime("%Y-%m-%d"),
        widths=widths,
    )


# --- cancel a session, message everyone booked ----------------------------------------------------------


@login_required
def session_cancel_view(request, session_id):
    session = session_manageable_get(user=request.user, session_id=session_id)
    form = CancelSessionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if session.ends_at <= timezone.now() and not session.cancelled:
            form.is_valid()
            form.add_error(None, _("This session is over: it can no longer be cancelled."))
        elif form.is_valid():
            try:
                cancelled = session_cancel(
                    actor=request.user, session=session, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                told = session_cancel_told(session=session)
                messages.success(
                    request,
                    ngettext(
                        "The session is cancelled (%(cancelled)d places given back). %(told)d person was told.",
                        "The session is cancelled (%(cancelled)d places given back). %(told)d people were told.",
                        told,
                    )
                    % {"cancelled": cancelled, "told": told},
                )
                return redirect("events:manage", pk=session.activity_id)
        status = 400
    return render(
        request,
        "events/staff/cancel.html",
        {
            "session": session,
            "activity": session.activity,
            "form": form,
            "counts": roster_counts(session=session),
        },
        status=status,
    )


@login_required
def session_message_view(request, session_id):
    session = session_manageable_get(user=request.user, session_id=session_id)
    form = StaffMessageForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                told = session_message_send(
                    actor=request.user,
                    session=session,
                    text=data["text"],
                    include_waitlist=data["include_waitlist"],
                    confirm_repeat=data["confirm_repeat"],
                    # scoped to the sender: another user's key can never match
                    request_key=f"{request.user.pk}:{data['request_key']}",
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(
                    request,
                    ngettext(
                        "The message was sent to %(n)d recipient.",
                        "The message was sent to %(n)d recipients.",
                        told,
                    )
                    % {"n": told},
                )
                return redirect("events:manage", pk=session.activity_id)
        status = 400
    return render(
        request,
        "events/staff/message.html",
        {
            "session": session,
            "activity": session.activity,
            "form": form,
            "counts": roster_counts(session=session),
        },
        status=status,
    )
