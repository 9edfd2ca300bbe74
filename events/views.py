"""HTTP for residents: the activity list, the activity page with its booking form, "my bookings", the
ticket (QR code and add-to-calendar) and the personal calendar feed.

Every object named in the URL is fetched through a selector scoped to the user (404 otherwise); every
write is one call of an ``events.services`` function, whose translated refusals are shown next to the
form. The few batched reads below (seats of a page of cards, a booking by its ticket token) are pure
reads composed from ``events.selectors``.

The calendar feed
-----------------
``/activities/feed/<token>.ics`` lists every confirmed session of the user's family, for a calendar app
that cannot sign in. Its token (:func:`feed_token_for`) is an HMAC of the user id, her random feed key
(``events.models.FeedKey``) and her password hash: the owner revokes it with "reset my calendar link"
(POST ``feed/reset/``), and any password change revokes it too. A forged, altered, revoked or
old-format token is a 404.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from dataclasses import dataclass

import qrcode
import qrcode.constants
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Min, OuterRef, Q, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.html import escape
from django.utils.http import base36_to_int, int_to_base36, url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET, require_POST

from portal.community.selectors import people_actable_by, person_of
from portal.context_processors import community_name
from portal.fields import ID_MAX

from .deadline import deadline_text
from .filters import ActivityFilter
from .forms import BookingForm
from .models import (
    SEATED_STATUSES,
    Activity,
    Booking,
    EarlyWindowFor,
    FeedKey,
    Offer,
    Registration,
    RegistrationStatus,
    Session,
)
from .selectors import (
    activity_get_for,
    can_manage_activity,
    course_seats_left,
    family_bookings,
    offer_get_for,
    places_held,
    registration_get_for,
    registrations_visible_to,
    session_of_activity_get,
    sessions_with_seats,
    waitlist_position,
)
from .services import (
    WindowState,
    booking_create_by_ids,
    feed_key_reset,
    offer_accept,
    offer_decline,
    registration_cancel,
    waitlist_leave,
    window_state,
)

PAGE_SIZE = 20
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
FEED_SALT = "events.feed.v2"
#: How far back the personal feed reaches (sessions that ended longer ago are left out).
FEED_PAST_DAYS = 90


def _fmt(dt: datetime.datetime | None) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def _names(regs) -> str:
    return "、".join(r.person.name for r in regs)


# --- booking state in words ---------------------------------------------------------------------


@dataclass
class BookingState:
    code: str  # not_yet_open / early / open / lottery / closed
    text: str
    badge: str  # a Bootstrap text-bg-* class with enough contrast


def booking_state(*, activity: Activity, now: datetime.datetime) -> BookingState:
    """Where the booking window stands, for a card or the activity page (no query)."""
    state = window_state(activity=activity, now=now)
    if state == WindowState.CLOSED:
        return BookingState("closed", _("Booking closed"), "text-bg-secondary")
    if state == WindowState.NOT_YET_OPEN:
        opens = activity.early_opens_at or activity.booking_opens_at
        return BookingState(
            "not_yet_open", _("Booking opens on %(when)s") % {"when": _fmt(opens)}, "text-bg-info"
        )
    if state == WindowState.EARLY:
        return BookingState(
            "early",
            _("Early booking for the priority group; everyone from %(when)s")
            % {"when": _fmt(activity.booking_opens_at)},
            "text-bg-warning",
        )
    if activity.is_lottery:
        if activity.booking_closes_at:
            text = _("Lottery: apply until %(when)s") % {"when": deadline_text(activity.booking_closes_at)}
        else:
            text = _("Lottery: applications open")
        return BookingState("lottery", text, "text-bg-brand")
    if activity.booking_closes_at:
        text = _("Open for booking until %(when)s") % {"when": deadline_text(activity.booking_closes_at)}
    else:
        text = _("Open for booking")
    return BookingState("open", text, "text-bg-success")


def audience_rule_text(activity: Activity) -> list[str]:
    """The audience rule and the booking rules, in plain words, one sentence each."""
    lines = []
    lo, hi = activity.min_age, activity.max_age
    if lo is not None and hi is not None:
        lines.append(_("For ages %(min)s to %(max)s, on the day of the session.") % {"min": lo, "max": hi})
    elif lo is not None:
        lines.append(_("For ages %(min)s and over, on the day of the session.") % {"min": lo})
    elif hi is not None:
        lines.append(_("For ages up to %(max)s, on the day of the session.") % {"max": hi})
    else:
        lines.append(_("For all ages."))
    if activity.residents_only:
        lines.append(_("Only for residents of this community."))
    else:
        lines.append(_("Open to everyone, residents or not."))
    if activity.target_group_id:
        lines.append(_("Only for: %(group)s.") % {"group": activity.target_group.name})
    if activity.max_per_household:
        n = activity.max_per_household
        lines.append(
            ngettext("At most %(n)s person per household.", "At most %(n)s people per household.", n)
            % {"n": n}
        )
    if activity.counts_families:
        lines.append(_("Places are counted per family: a parent and child together take one place."))
    if activity.is_course:
        lines.append(_("One booking covers every session of the course."))
    if activity.is_lottery:
        lines.append(_("Places are drawn by lottery among the applications received while booking is open."))
    elif activity.waitlist_enabled:
        lines.append(
            _("When it is full you can join the waitlist; a freed place is offered in waitlist order.")
        )
    if activity.early_opens_at:
        who = (
            _("residents of this community")
            if activity.early_for == EarlyWindowFor.RESIDENTS
            else (activity.early_group.name if activity.early_group_id else "")
        )
        lines.append(
            _("Early booking from %(when)s for %(who)s.")
            % {"when": _fmt(activity.early_opens_at), "who": who}
        )
    if activity.cancel_hours_before:
        n = activity.cancel_hours_before
        lines.append(
            ngettext(
                "You can cancel until %(n)s hour before the start.",
                "You can cancel until %(n)s hours before the start.",
                n,
            )
            % {"n": n}
        )
    return lines


# --- the list -----------------------------------------------------------------------------------


@dataclass
class Card:
    activity: Activity
    session: Session | None
    seats_left: int | None
    state: BookingState


def _upcoming_sessions(now: datetime.datetime):
    return Session.objects.filter(activity=OuterRef("pk"), cancelled=False, starts_at__gt=now).order_by(
        "starts_at", "id"
    )


def _course_taken(activities: list[Activity]) -> dict[int, int]:
    """Seats held in each course, for a page of activities, in one query (persons, or families)."""
    if not activities:
        return {}
    rows = (
        Registration.objects.filter(
            activity__in=[a.pk for a in activities], session__isnull=True, status__in=SEATED_STATUSES
        )
        .values("activity")
        .annotate(persons=Count("pk"), families=Count("booking", distinct=True))
        .order_by()
    )
    by_id = {a.pk: a for a in activities}
    return {
        r["activity"]: r["families"] if by_id[r["activity"]].counts_families else r["persons"] for r in rows
    }


def activity_cards(activities: list[Activity], *, now: datetime.datetime) -> list[Card]:
    """Cards for a page of activities annotated with ``next_session_id``: next session, seats left and
    booking state. At most two queries whatever the number of activities or bookings."""
    ids = [a.next_session_id for a in activities if a.next_session_id]
    sessions = {s.pk: s for s in sessions_with_seats(Session.objects.filter(pk__in=ids))} if ids else {}
    courses = [a for a in activities if a.is_course]
    taken = _course_taken(courses)
    cards = []
    for a in activities:
        session = sessions.get(a.next_session_id)
        if a.is_course:
            seats = max((a.capacity or 0) - taken.get(a.pk, 0), 0) if session else None
        else:
            seats = session.seats_left if session else None
        cards.append(
            Card(activity=a, session=session, seats_left=seats, state=booking_state(activity=a, now=now))
        )
    return cards


@require_GET
def activity_list(request):
    now = timezone.now()
    base = Activity.objects.published().select_related("organiser_org", "organiser_user")
    data = request.GET.copy()
    data.pop("page", None)
    filterset = ActivityFilter(data or None, queryset=base, now=now)
    upcoming = _upcoming_sessions(now)
    qs = filterset.qs.annotate(
        next_session_id=Subquery(upcoming.values("pk")[:1]),
        next_starts_at=Subquery(upcoming.values("starts_at")[:1]),
    ).order_by(F("next_starts_at").asc(nulls_last=True), "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = data.urlencode()
    return render(
        request,
        "events/activity_list.html",
        {
            "filter": filterset,
            "page": page,
            "cards": activity_cards(list(page.object_list), now=now),
            "query": query,
            "filtered": bool(data),
        },
    )


# --- the activity page and booking ---------------------------------------------------------------


def _status_rows(regs: list[Registration]) -> list[Registration]:
    now = timezone.now()
    for r in regs:
        r.position = waitlist_position(registration=r) if r.status == RegistrationStatus.WAITLISTED else None
        r.is_past = r.session_id is not None and r.session.ends_at < now
    return regs


def _result_messages(request, booking: Booking) -> None:
    """Say what the booking got, from what the service decided (nothing is read back)."""
    decision = booking.decision
    rows = list(zip(booking.persons, decision.statuses, decision.positions, strict=True))
    confirmed = [p.name for p, status, _pos in rows if status == RegistrationStatus.CONFIRMED]
    applied = [p.name for p, status, _pos in rows if status == RegistrationStatus.APPLIED]
    if confirmed:
        messages.success(
            request,
            _("Booked: %(names)s. Your ticket is on the activity page.") % {"names": "、".join(confirmed)},
        )
    for person, status, position in rows:
        if status == RegistrationStatus.WAITLISTED:
            messages.warning(
                request,
                _(
                    "%(name)s is on the waitlist, number %(position)s in line. We will tell you if a place frees up."
                )
                % {"name": person.name, "position": position},
            )
    if applied:
        messages.success(
            request,
            _(
                "Application received for %(names)s. The lottery is drawn after booking closes; we will tell you the result."
            )
            % {"names": "、".join(applied)},
        )


#: Ids beyond this do not fit a database id column (bigint): no object has them.
#: More boxes than any family has: a post with more is not a booking form's.
_PERSONS_MAX = 50


def _posted_ids(values) -> list[int] | None:
    """The posted ids as ints, in order and without repeats; None when one is not an id at all."""
    out: list[int] = []
    for value in values[:_PERSONS_MAX]:
        text = str(value).strip()
        if not text.isascii() or not text.isdigit() or int(text) > ID_MAX or int(text) < 1:
            return None
        if int(text) not in out:
            out.append(int(text))
    return out


def _booking_refused(request, *, activity, session, reasons, person_ids, session_id, status=400):
    """The small page a refused booking answers with: why, and the way back to the form with the same
    choices ticked (the activity page reads them from the query string)."""
    query = [("persons", str(pk)) for pk in person_ids or []]
    if session_id:
        query.append(("session", str(session_id)))
    back = reverse("events:detail", kwargs={"pk": activity.pk})
    if query:
        back += "?" + urlencode(query)
    context = {
        "activity": activity,
        "session": session,
        "reasons": reasons,
        "back_url": back + "#booking",
    }
    return render(request, "events/booking_refused.html", context, status=status)


def _booking_post(request, pk):
    """A booking form's POST: the booking and nothing else. It reads the activity (and the chosen
    session) in one query and the ticked persons in one more, books them (``booking_create_by_ids``),
    and answers with a redirect to the activity page, which says what each person got, or with a small
    page saying why not. It never builds the page's form nor counts its seats."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    person_ids = _posted_ids(request.POST.getlist("persons"))
    raw_session = request.POST.get("session", "").strip()
    session_ids = _posted_ids([raw_session]) if raw_session else []
    session = (
        session_of_activity_get(user=user, activity_id=pk, session_id=session_ids[0]) if session_ids else None
    )
    activity = session.activity if session is not None else activity_get_for(user=user, activity_id=pk)
    reasons: list[str] = []
    if person_ids is None or session_ids is None:
        reasons.append(_("This form was not filled in by the booking page: please book again."))
    else:
        if not person_ids:
            reasons.append(_("Tick at least one person."))
        if not activity.is_course and session is None:
            reasons.append(_("This session cannot be booked.") if session_ids else _("Choose a session."))
        session = None if activity.is_course else session
    kept_persons = person_ids or []
    if not reasons:
        try:
            booking = booking_create_by_ids(
                actor=user, activity=activity, person_ids=person_ids, session=session
            )
        except PermissionDenied:
            reasons = [_("You can book only for yourself and the people in your care.")]
            kept_persons = []
        except ValidationError as exc:
            reasons = list(exc.messages)
        else:
            _result_messages(request, booking)
            return redirect(reverse("events:detail", kwargs={"pk": activity.pk}) + "#my-status")
    return _booking_refused(
        request,
        activity=activity,
        session=session,
        reasons=reasons,
        person_ids=kept_persons,
        session_id=session.pk if session is not None else None,
    )


def _choices_from_query(request) -> dict:
    """The choices a refused booking sent back (``?persons=..&session=..``), as the form's initial."""
    initial = {}
    persons = _posted_ids(request.GET.getlist("persons"))
    if persons:
        initial["persons"] = persons
    session = _posted_ids(request.GET.getlist("session")[:1])
    if session:
        initial["session"] = session[0]
    return initial


def activity_detail(request, pk):
    if request.method == "POST":
        return _booking_post(request, pk)
    activity = activity_get_for(user=request.user, activity_id=pk)
    now = timezone.now()
    user = request.user
    bookable = sessions_with_seats(activity.sessions.filter(cancelled=False, starts_at__gt=now)).order_by(
        "starts_at", "id"
    )
    state = booking_state(activity=activity, now=now)
    family, people, form = [], [], None
    if user.is_authenticated:
        people = people_actable_by(actor=user).order_by("birth_date", "id")
        if state.code != "closed":
            form = BookingForm(
                activity=activity,
                people=people,
                sessions=bookable,
                held=places_held(activity=activity, people=people, sessions=bookable),
                submit_label=_("Apply for the lottery")
                if activity.is_lottery
                else pgettext("booking button", "Book"),
                initial=_choices_from_query(request),
            )
    # What the page shows.
    sessions = list(
        sessions_with_seats(activity.sessions.filter(ends_at__gte=now)).order_by("starts_at", "id")
    )
    if user.is_authenticated:
        family = _status_rows(
            list(
                family_bookings(user=user, include_past=True)
                .filter(activity=activity)
                .exclude(status=RegistrationStatus.CANCELLED)
            )
        )
    context = {
        "activity": activity,
        "sessions": sessions,
        "course_seats_left": course_seats_left(activity=activity) if activity.is_course else None,
        "state": state,
        "audience": audience_rule_text(activity),
        "family": family,
        "has_person": user.is_authenticated and person_of(user) is not None,
        "can_manage": user.is_authenticated and can_manage_activity(user=user, activity=activity),
        "form": form,
        "now": now,
    }
    return render(request, "events/activity_detail.html", context)


# --- my bookings --------------------------------------------------------------------------------


def _cancel_deadlines(regs: list[Registration]) -> None:
    """``r.cancel_until`` for each registration (one query for the courses' first sessions)."""
    course_ids = {r.activity_id for r in regs if r.session_id is None}
    firsts = {}
    if course_ids:
        firsts = dict(
            Session.objects.filter(activity_id__in=course_ids, cancelled=False)
            .values("activity")
            .annotate(first=Min("starts_at"))
            .values_list("activity", "first")
            .order_by()
        )
    for r in regs:
        start = r.session.starts_at if r.session_id else firsts.get(r.activity_id)
        r.starts_at = start
        r.cancel_until = start - datetime.timedelta(hours=r.activity.cancel_hours_before) if start else None


@login_required
def my_bookings(request):
    now = timezone.now()
    regs = _status_rows(list(family_bookings(user=request.user)))
    _cancel_deadlines(regs)
    for r in regs:
        r.can_cancel = r.status == RegistrationStatus.CONFIRMED and (
            r.cancel_until is None or now <= r.cancel_until
        )
        r.can_leave = r.status in (RegistrationStatus.WAITLISTED, RegistrationStatus.APPLIED)
        r.open_offer = (
            r.offer
            if r.status == RegistrationStatus.OFFERED
            and r.offer
            and r.offer.status == Offer.Status.OPEN
            and r.offer.expires_at > now
            else None
        )
    active = [r for r in regs if r.is_active]
    past = [r for r in regs if not r.is_active]
    return render(
        request,
        "events/my_bookings.html",
        {"active": active, "past": past, "feed_url": feed_url_for(request, request.user), "now": now},
    )


def _confirm_or_do(request, *, title, question, button, action, done, danger=True):
    """GET: a page asking to confirm (works without JavaScript). POST: run the service, say what happened."""
    if request.method == "POST":
        try:
            action()
        except ValidationError as exc:
            for m in exc.messages:
                messages.error(request, m)
        else:
            messages.success(request, done)
        return redirect("events:my_bookings")
    return render(
        request,
        "events/confirm.html",
        {"title": title, "question": question, "button": button, "danger": danger},
    )


@login_required
def registration_cancel_view(request, registration_id):
    reg = registration_get_for(user=request.user, registration_id=registration_id)
    return _confirm_or_do(
        request,
        title=_("Cancel a place"),
        question=_("Cancel the place of %(name)s at %(activity)s?")
        % {"name": reg.person.name, "activity": reg.activity.title},
        button=_("Yes, cancel the place"),
        action=lambda: registration_cancel(actor=request.user, registration=reg),
        done=_("The place of %(name)s has been cancelled.") % {"name": reg.person.name},
    )


@login_required
def waitlist_leave_view(request, registration_id):
    reg = registration_get_for(user=request.user, registration_id=registration_id)
    applied = reg.status == RegistrationStatus.APPLIED
    return _confirm_or_do(
        request,
        title=_("Withdraw the application") if applied else _("Leave the waitlist"),
        question=(
            _("Withdraw the lottery application of %(name)s for %(activity)s?")
            if applied
            else _("Take %(name)s off the waitlist of %(activity)s?")
        )
        % {"name": reg.person.name, "activity": reg.activity.title},
        button=_("Yes, withdraw") if applied else _("Yes, leave the waitlist"),
        action=lambda: waitlist_leave(actor=request.user, registration=reg),
        done=(
            _("The application of %(name)s has been withdrawn.")
            if applied
            else _("%(name)s has left the waitlist.")
        )
        % {"name": reg.person.name},
    )


@login_required
def offer_accept_view(request, offer_id):
    offer = offer_get_for(user=request.user, offer_id=offer_id)
    return _confirm_or_do(
        request,
        title=_("Accept the offered place"),
        question=_("Take the offered place at %(activity)s? Please accept by %(when)s.")
        % {"activity": offer.booking.activity.title, "when": deadline_text(offer.expires_at)},
        button=_("Yes, take the place"),
        action=lambda: offer_accept(actor=request.user, offer=offer),
        done=_("The place at %(activity)s is yours. See you there!")
        % {"activity": offer.booking.activity.title},
        danger=False,
    )


@login_required
def offer_decline_view(request, offer_id):
    offer = offer_get_for(user=request.user, offer_id=offer_id)
    return _confirm_or_do(
        request,
        title=_("Decline the offered place"),
        question=_(
            "Decline the place at %(activity)s? It will be offered to the next person on the waitlist."
        )
        % {"activity": offer.booking.activity.title},
        button=_("Yes, decline"),
        action=lambda: offer_decline(actor=request.user, offer=offer),
        done=_("You declined the place at %(activity)s.") % {"activity": offer.booking.activity.title},
    )


# --- the ticket ---------------------------------------------------------------------------------


def booking_by_token_for(*, user, token: str) -> Booking:
    """The booking with this ticket token, if the user may see it (the booker, a person in it or whoever
    acts for one, the activity's staff); ``Http404`` otherwise, and for a malformed token."""
    if not token or len(token) > 64 or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        raise Http404("No such ticket.")
    visible = registrations_visible_to(user=user).values("booking_id")
    booking = (
        Booking.objects.select_related("activity__organiser_org", "activity__organiser_user", "session")
        .filter(token=token, pk__in=visible)
        .first()
    )
    if booking is None:
        raise Http404("No such ticket.")
    return booking


def qr_svg(data: str, *, label: str) -> str:
    """The QR code of ``data`` as inline SVG markup, drawn on the server (no script, no external service)."""
    img = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
    )
    svg = img.to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    svg = re.sub(r'\s(width|height)="[^"]*"', "", svg, count=2)
    svg = svg.replace(
        "<svg ", f'<svg class="ticket-qr" role="img" aria-label="{escape(label)}" focusable="false" ', 1
    )
    return mark_safe(svg)  # noqa: S308 (generated by qrcode from the token; the label is escaped)


def _booking_sessions(booking: Booking) -> list[Session]:
    if booking.session_id:
        return [booking.session]
    return list(booking.activity.sessions.filter(cancelled=False).order_by("starts_at", "id"))


@login_required
def ticket(request, token):
    booking = booking_by_token_for(user=request.user, token=token)
    regs = list(booking.registrations.select_related("person", "offer").order_by("id"))
    _status_rows(regs)
    confirmed = any(r.status == RegistrationStatus.CONFIRMED for r in regs)
    sessions = _booking_sessions(booking)
    # A ticket that can no longer be used does not ask to be shown: the activity is over (its last
    # session has ended), or nobody on it holds a place any more (cancelled, declined, not drawn...).
    now = timezone.now()
    if not any(r.is_active for r in regs) or (booking.session_id and booking.session.cancelled):
        void = "cancelled"
    elif sessions and max(s.ends_at for s in sessions) < now:
        void = "ended"
    else:
        void = ""
    return render(
        request,
        "events/ticket.html",
        {
            "void": void,
            "booking": booking,
            "activity": booking.activity,
            "sessions": sessions,
            "registrations": regs,
            "confirmed": confirmed,
            "qr": qr_svg(
                booking.token,
                label=_("Ticket QR code for %(activity)s") % {"activity": booking.activity.title},
            ),
            "feed_url": feed_url_for(request, request.user),
        },
    )


# --- calendars ----------------------------------------------------------------------------------


def _calendar(name: str):
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", "-//Zhaoxi community portal//events//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    return cal


def _event(*, uid: str, session: Session, activity: Activity, persons: list[str], stamp: datetime.datetime):
    from icalendar import Event

    ev = Event()
    ev.add("uid", uid)
    ev.add("dtstamp", stamp.astimezone(datetime.UTC))
    ev.add("dtstart", session.starts_at.astimezone(SHANGHAI))
    ev.add("dtend", session.ends_at.astimezone(SHANGHAI))
    ev.add("summary", activity.title)
    ev.add("location", session.place or activity.place)
    description = activity.description or ""
    if persons:
        description = (_("For: %(names)s") % {"names": "、".join(persons)}) + (
            "\n\n" + description if description else ""
        )
    ev.add("description", description)
    return ev


def _domain(request) -> str:
    return request.get_host().split(":")[0] or "zhaoxi"


def _ics_response(cal, *, filename: str, attachment: bool) -> HttpResponse:
    cal.add_missing_timezones()
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def ticket_ics(request, token):
    """The booking's session(s) as an iCalendar file. UIDs are stable (booking and session ids), so
    importing the file again updates the entries instead of duplicating them."""
    booking = booking_by_token_for(user=request.user, token=token)
    persons = [
        r.person.name
        for r in booking.registrations.select_related("person")
        .filter(status=RegistrationStatus.CONFIRMED)
        .order_by("id")
    ]
    cal = _calendar(booking.activity.title)
    stamp = booking.created_at or timezone.now()
    for session in _booking_sessions(booking):
        if session.cancelled:
            continue
        uid = f"booking-{booking.pk}-session-{session.pk}@{_domain(request)}"
        cal.add_component(
            _event(uid=uid, session=session, activity=booking.activity, persons=persons, stamp=stamp)
        )
    return _ics_response(cal, filename=f"activity-{booking.activity_id}.ics", attachment=True)


def _feed_mac(user, key: str, secret=None) -> str:
    value = f"{user.pk}:{key}:{user.password}"
    return salted_hmac(FEED_SALT, value, secret=secret, algorithm="sha256").hexdigest()[:40]


def feed_token_for(user) -> str:
    """The personal calendar feed token: ``<user id in base 36>-<HMAC>``.

    The HMAC (``SECRET_KEY``, salt ``events.feed.v2``) covers the user id, her feed key
    (``FeedKey``, reset with the "reset my calendar link" button) and her password hash, the way Django's
    password-reset tokens do: resetting the key or changing the password in any way makes every earlier
    token a 404. Reading it writes nothing.
    """
    return f"{int_to_base36(user.pk)}-{_feed_mac(user, FeedKey.objects.key_for(user))}"


def feed_user_from_token(token: str):
    """The active user a feed token was made for, or None for a forged, altered, reset or old-format token
    (the signed ids of before, "MQ:…", are refused)."""
    uid, sep, mac = (token or "").partition("-")
    if not sep or not mac or len(uid) > 13:
        return None
    try:
        user_id = base36_to_int(uid)
    except ValueError:
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    key = FeedKey.objects.key_for(user)
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        if constant_time_compare(mac, _feed_mac(user, key, secret=secret)):
            return user
    return None


def feed_url_for(request, user) -> str:
    return request.build_absolute_uri(reverse("events:feed", kwargs={"token": feed_token_for(user)}))


@require_POST
@login_required
def feed_reset(request):
    """ "Reset my calendar link": a new feed key, so the old address (shared, or on a lost phone) is dead."""
    feed_key_reset(user=request.user)
    messages.success(
        request,
        _(
            "Your calendar link has been reset. The old link no longer works: subscribe again in your "
            "calendar app with the new one."
        ),
    )
    nxt = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        nxt = reverse("events:my_bookings")
    return redirect(nxt)


@require_GET
def feed(request, token):
    """Every confirmed session of the user's family: one event per session, the persons named in it."""
    user = feed_user_from_token(token)
    if user is None:
        raise Http404("No such calendar.")
    since = timezone.now() - datetime.timedelta(days=FEED_PAST_DAYS)
    regs = list(
        family_bookings(user=user, include_past=True)
        .filter(status=RegistrationStatus.CONFIRMED)
        .filter(Q(session__isnull=True) | Q(session__ends_at__gte=since))
    )
    course_ids = {r.activity_id for r in regs if r.session_id is None}
    course_sessions: dict[int, list[Session]] = {}
    if course_ids:
        for s in Session.objects.filter(
            activity_id__in=course_ids, cancelled=False, ends_at__gte=since
        ).order_by("starts_at"):
            course_sessions.setdefault(s.activity_id, []).append(s)
    events: dict[int, tuple[Session, Activity, list[str]]] = {}
    for r in regs:
        sessions = [r.session] if r.session_id else course_sessions.get(r.activity_id, [])
        for s in sessions:
            if s.cancelled:
                continue
            entry = events.setdefault(s.pk, (s, r.activity, []))
            if r.person.name not in entry[2]:
                entry[2].append(r.person.name)
    cal = _calendar(_("%(community)s activities") % {"community": community_name()})
    stamp = timezone.now()
    for s, activity, persons in sorted(events.values(), key=lambda e: e[0].starts_at):
        uid = f"session-{s.pk}-user-{user.pk}@{_domain(request)}"
        cal.add_component(_event(uid=uid, session=s, activity=activity, persons=persons, stamp=stamp))
    return _ics_response(cal, filename="activities.ics", attachment=False)
