"""Checkpoint pages and self check-in at the venue.

* ``station_page``: a phone page for one checkpoint (the marathon's water station): scan a ticket with
  the camera (where the browser can read QR codes) or paste/type the ticket code; shows who was stamped
  or why not, and the station's count; a runner without her ticket is found by name or phone tail (as on
  the check-in page). For the activity's staff and the volunteers with a shift there. The camera reading
  uses the browser's ``BarcodeDetector`` (static/js/checkpoints.js) and is offered only where it exists;
  elsewhere a scanner app's result (WeChat) is pasted, as on the staff check-in page.
* ``checkpoints_overview``: staff page per activity: stamps per station, finishers (for the medals) and
  who is still out on the course.
* ``venue_checkin``: what a resident sees after scanning the QR code posted at the venue
  (``/activities/<pk>/here/<code>/``, code signed per activity): today's sessions and the people of her
  family with a confirmed place, checked in with one button.
* ``venue_poster``: the printable poster with that QR code, for staff.

Objects in the URL come through scoped selectors (404 outside the user's scope); every write is one call of
``events.services.checkpoint_stamp`` or ``checkin_self_at_venue``, whose translated refusals are shown next
to the field.
"""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.community.selectors import phone_search_limited

from .forms import PersonChoiceField, TicketCodeField
from .models import CheckIn, Registration, RegistrationStatus, Session, Stamp
from .selectors import (
    activity_get_for,
    activity_manageable_get,
    can_manage_activity,
    checkin_candidates,
    family_bookings,
)
from .selectors.checkpoints import (
    checkpoint_counts,
    checkpoint_get_for_station,
    finishers,
    session_nearest,
    station_count,
    station_sessions,
    still_out,
)
from .services import (
    checkin_self_at_venue,
    checkin_token_parse,
    checkpoint_stamp,
    venue_code_check,
    venue_code_for,
    venue_sessions_today,
)
from .views import qr_svg

#: At most this many people listed by a name search at a station.
SEARCH_LIMIT = 30

# --- forms --------------------------------------------------------------------------------------------


class StampForm(forms.Form):
    token = TicketCodeField(
        help_text=gettext_lazy(
            "Scan the QR code on the runner's ticket with the camera, or paste what a scanner app read."
        )
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page's form also carries the session
        self.helper.add_input(
            Submit("stamp", gettext_lazy("Stamp this ticket"), css_class="btn-brand btn-lg")
        )


class PeopleField(PersonChoiceField):
    def label_from_instance(self, obj):
        return obj.person.name


class VenueCheckinForm(forms.Form):
    registrations = PeopleField(
        label=gettext_lazy("Who is here?"),
        queryset=Registration.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Tick at least one person.")},
    )

    def __init__(self, *args, session: Session, regs, **kwargs):
        kwargs.setdefault("prefix", f"s{session.pk}")
        super().__init__(*args, **kwargs)
        self.fields["registrations"].queryset = regs
        self.fields["registrations"].initial = [r.pk for r in regs]
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page's form also carries the session
        self.helper.add_input(Submit("checkin", gettext_lazy("Check in"), css_class="btn-brand btn-lg"))


def _errors(exc) -> list[str]:
    return list(getattr(exc, "messages", None) or [str(exc)])


# --- the station page -----------------------------------------------------------------------------------


def _chosen_session(sessions: list[Session], value, *, prefer_past: bool = False) -> Session | None:
    for s in sessions:
        if str(s.pk) == str(value or ""):
            return s
    return session_nearest(sessions, prefer_past=prefer_past)


def _station_url(checkpoint, session) -> str:
    url = reverse("events:station", args=[checkpoint.pk])
    return f"{url}?{urlencode({'session': session.pk})}" if session else url


def _on_ticket(*, activity, token: str):
    """The registrations of the ticket ``token`` (bare or pasted link) in ``activity``: knowing the
    ticket is what lets a station volunteer pick one of its people."""
    try:
        token = checkin_token_parse(token)
    except ValidationError:
        return Registration.objects.none()
    return (
        Registration.objects.filter(activity_id=activity.pk, booking__token=token)
        .select_related("person", "booking", "activity", "session")
        .order_by("pk")
    )


def _stamped_message(request, checkpoint, stamps) -> None:
    messages.success(
        request,
        _("Stamped at %(checkpoint)s: %(names)s (%(time)s).")
        % {
            "checkpoint": checkpoint.name,
            "names": "、".join(s.registration.person.name for s in stamps),
            "time": timezone.localtime(stamps[0].stamped_at).strftime("%H:%M"),
        },
    )


def _stamp_found_person(request, *, checkpoint, session, q: str):
    """A person found by name or phone tail (no ticket at hand): stamp her, say how it went, go back."""
    chosen = request.POST.get("registration_id", "")
    registration = (
        Registration.objects.filter(
            activity_id=checkpoint.activity_id, pk=chosen if chosen.isdecimal() else 0
        )
        .select_related("person", "booking", "activity", "session")
        .first()
    )
    if registration is None:
        raise Http404("No such registration.")
    try:
        stamps = checkpoint_stamp(
            actor=request.user, checkpoint=checkpoint, session=session, registration=registration
        )
    except (ValidationError, PermissionDenied) as exc:
        for m in _errors(exc):
            messages.error(request, m)
    else:
        _stamped_message(request, checkpoint, stamps)
    url = _station_url(checkpoint, session)
    return redirect(f"{url}&{urlencode({'q': q})}" if q else url)


@login_required
def station_page(request, checkpoint_id):
    checkpoint = checkpoint_get_for_station(user=request.user, checkpoint_id=checkpoint_id)
    activity = checkpoint.activity
    sessions = list(station_sessions(user=request.user, checkpoint=checkpoint))
    session = _chosen_session(sessions, request.POST.get("session") or request.GET.get("session"))
    q = (request.POST.get("q") or request.GET.get("q") or "").strip()[:50]
    if "\x00" in q:  # PostgreSQL refuses NUL bytes in text: no search, Django's translated reason
        messages.error(request, ProhibitNullCharactersValidator.message)
        q = ""
    limited = phone_search_limited(request, q=q) if q else None
    if limited:  # too many searches by phone digits: say so, search nothing
        messages.error(request, limited)
        q = ""
    form = StampForm()
    choose: list[Registration] = []
    status = 200
    if request.method == "POST" and session is not None:
        if request.POST.get("registration_id") and not request.POST.get("token"):
            return _stamp_found_person(request, checkpoint=checkpoint, session=session, q=q)
        form = StampForm(request.POST)
        registration = None
        chosen = request.POST.get("registration_id", "")
        if form.is_valid() and chosen:
            registration = (
                _on_ticket(activity=activity, token=form.cleaned_data["token"])
                .filter(pk=chosen if chosen.isdecimal() else 0)
                .first()
            )
            if registration is None:
                form.add_error("token", _("This person is not on this ticket."))
        if form.is_valid():
            try:
                stamps = checkpoint_stamp(
                    actor=request.user,
                    checkpoint=checkpoint,
                    session=session,
                    token=form.cleaned_data["token"],
                    registration=registration,
                )
            except ValidationError as exc:
                if exc.code == "choose_person":
                    choose = list(
                        _on_ticket(activity=activity, token=form.cleaned_data["token"]).filter(
                            status=RegistrationStatus.CONFIRMED
                        )
                    )
                for m in _errors(exc):
                    form.add_error("token", m)
            except PermissionDenied as exc:
                form.add_error("token", str(exc))
            else:
                _stamped_message(request, checkpoint, stamps)
                return redirect(_station_url(checkpoint, session))
        if form.errors:
            status = 400
    candidates = []
    if q and session is not None:
        at = Stamp.objects.filter(checkpoint=checkpoint, session=session, registration=OuterRef("pk"))
        candidates = list(
            checkin_candidates(session=session, q=q, viewer=request.user).annotate(
                stamped_at=Subquery(at.values("stamped_at")[:1])
            )[:SEARCH_LIMIT]
        )
    return render(
        request,
        "events/checkpoints/station.html",
        {
            "checkpoint": checkpoint,
            "activity": activity,
            "sessions": sessions,
            "session": session,
            "form": form,
            "choose": choose,
            "token": form.data.get("token", "") if form.is_bound else "",
            "q": q,
            "candidates": candidates,
            "counts": station_count(checkpoint=checkpoint, session=session) if session else None,
            "can_manage": can_manage_activity(user=request.user, activity=activity),
        },
        status=status,
    )


# --- checkpoints and finishers (staff) ------------------------------------------------------------------


@login_required
def checkpoints_overview(request, pk):
    activity = activity_manageable_get(user=request.user, activity_id=pk)
    sessions = list(activity.sessions.filter(cancelled=False).order_by("starts_at", "id"))
    session = _chosen_session(sessions, request.GET.get("session"), prefer_past=True)
    done = list(finishers(activity=activity, session=session))
    out = list(still_out(activity=activity, session=session))
    return render(
        request,
        "events/checkpoints/overview.html",
        {
            "activity": activity,
            "sessions": sessions,
            "session": session,
            "checkpoints": list(checkpoint_counts(activity=activity, session=session)),
            "finishers": done,
            "finisher_families": len({r.booking_id for r in done}),
            "still_out": out,
        },
    )


# --- self check-in at the venue ---------------------------------------------------------------------------


def _my_regs(*, user, activity, session):
    """Her family's confirmed registrations covering ``session``, each with ``checked_in_at`` (or None)."""
    at = CheckIn.objects.filter(session=session, registration=OuterRef("pk")).values("checked_in_at")[:1]
    return (
        family_bookings(user=user, include_past=True)
        .filter(activity=activity, status=RegistrationStatus.CONFIRMED)
        .filter(Q(session=session) | Q(session__isnull=True))
        .annotate(checked_in_at=Subquery(at))
        .order_by("person__birth_date", "pk")
    )


@login_required
def venue_checkin(request, pk, code):
    activity = activity_get_for(user=request.user, activity_id=pk)
    try:
        venue_code_check(activity=activity, code=code)
    except ValidationError as exc:
        return render(
            request,
            "events/checkpoints/venue.html",
            {"activity": activity, "code_error": _errors(exc)[0], "rows": []},
            status=400,
        )
    rows = []
    for session in venue_sessions_today(activity=activity):
        regs = list(_my_regs(user=request.user, activity=activity, session=session))
        todo = [r.pk for r in regs if r.checked_in_at is None]
        form = None
        if todo and not session.cancelled:
            qs = (
                Registration.objects.filter(pk__in=todo)
                .select_related("person")
                .order_by("person__birth_date", "pk")
            )
            bound = request.method == "POST" and request.POST.get("session") == str(session.pk)
            form = VenueCheckinForm(request.POST if bound else None, session=session, regs=qs)
            if bound and form.is_valid():
                try:
                    done = checkin_self_at_venue(
                        actor=request.user,
                        activity=activity,
                        code=code,
                        session=session,
                        registrations=list(form.cleaned_data["registrations"]),
                    )
                except (ValidationError, PermissionDenied) as exc:
                    for m in _errors(exc):
                        form.add_error("registrations", m)
                else:
                    names = "、".join(c.registration.person.name for c in done)
                    messages.success(request, _("Checked in: %(names)s. Welcome!") % {"names": names})
                    return redirect(request.path)
        done = [r for r in regs if r.checked_in_at is not None]
        rows.append({"session": session, "regs": regs, "done": done, "form": form})
    if request.method == "POST" and not any(r["form"] is not None and r["form"].is_bound for r in rows):
        messages.error(request, _("Nothing was checked in: this session cannot be checked in here now."))
        return redirect(request.path)
    has_errors = any(r["form"] is not None and r["form"].errors for r in rows)
    return render(
        request,
        "events/checkpoints/venue.html",
        {"activity": activity, "rows": rows, "code_error": ""},
        status=400 if has_errors else 200,
    )


@login_required
def venue_poster(request, pk):
    activity = activity_manageable_get(user=request.user, activity_id=pk)
    url = request.build_absolute_uri(
        reverse("events:venue_checkin", args=[activity.pk, venue_code_for(activity)])
    )
    return render(
        request,
        "events/checkpoints/poster.html",
        {
            "activity": activity,
            "url": url,
            "qr": qr_svg(
                url, label=_("QR code for self check-in at %(activity)s") % {"activity": activity.title}
            ),
        },
    )
