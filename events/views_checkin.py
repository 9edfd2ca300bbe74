"""The staff check-in page on a phone: paste a scanned ticket (the token or the ticket link), or search a
name / phone tail for people without a phone, and check them in; counts of checked in / booked.

Only staff who can manage the activity see it (404 otherwise). Every write is one call of
``events.services.checkin_*``; its translated refusal is shown next to the field or as a message.
"""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.community.selectors import phone_search_limited

from .forms import TicketCodeField
from .models import CheckIn, CheckInMethod, Registration, Session
from .selectors import (
    can_manage_activity,
    checkin_candidates,
    checkin_counts,
    registrations_visible_to,
    session_get_for,
)
from .services import checkin_record, checkin_ticket

SEARCH_LIMIT = 30


class TicketForm(forms.Form):
    token = TicketCodeField(
        help_text=gettext_lazy(
            "Scan the QR code on the resident's ticket with the camera, or paste what a scanner app read."
        )
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_id = "ticket-form"
        self.helper.add_input(
            Submit("check_ticket", gettext_lazy("Check in this ticket"), css_class="btn-brand btn-lg")
        )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Name or last 4 digits of the phone"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_id = "search-form"
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("search", gettext_lazy("Search"), css_class="btn-brand"))


def _session_for_checkin(*, user, session_id) -> Session:
    session = session_get_for(user=user, session_id=session_id)
    if not can_manage_activity(user=user, activity=session.activity):
        raise Http404("No such session.")
    return session


def _here(session: Session, q: str = "") -> str:
    url = reverse("events:checkin", args=[session.pk])
    return f"{url}?{_query(q)}" if q else url


def _query(q: str) -> str:
    from django.utils.http import urlencode

    return urlencode({"q": q})


@login_required
def checkin_page(request, session_id):
    session = _session_for_checkin(user=request.user, session_id=session_id)
    ticket_form = TicketForm()
    q = request.GET.get("q", "")
    if request.method == "POST":
        q = request.POST.get("q", "")
        if "registration_id" in request.POST:
            try:
                reg = (
                    registrations_visible_to(user=request.user)
                    .select_related("person", "booking")
                    .get(pk=request.POST["registration_id"])
                )
            except (Registration.DoesNotExist, ValueError, TypeError):
                raise Http404("No such registration.") from None
            try:
                checkin_record(
                    actor=request.user, session=session, registration=reg, method=CheckInMethod.STAFF_SEARCH
                )
            except (ValidationError, PermissionDenied) as exc:
                for m in getattr(exc, "messages", [str(exc)]):
                    messages.error(request, m)
            else:
                messages.success(request, _("%(name)s is checked in.") % {"name": reg.person.name})
            return redirect(_here(session, q))
        ticket_form = TicketForm(request.POST)
        if ticket_form.is_valid():
            try:
                done = checkin_ticket(
                    actor=request.user,
                    session=session,
                    token=ticket_form.cleaned_data["token"],
                    method=CheckInMethod.STAFF_SCAN,
                )
            except ValidationError as exc:
                for m in exc.messages:
                    ticket_form.add_error("token", m)
            else:
                names = "、".join(c.registration.person.name for c in done)
                messages.success(request, _("Checked in: %(names)s.") % {"names": names})
                return redirect(_here(session))
    search_form = SearchForm({"q": q} if q else None)
    candidates = []
    if q and search_form.is_valid() and (limited := phone_search_limited(request, q=q)):
        # Too many searches by phone digits: say so at the field, search nothing.
        search_form.add_error("q", limited)
    if q and search_form.is_valid():
        at = CheckIn.objects.filter(session=session, registration=OuterRef("pk")).values("checked_in_at")[:1]
        candidates = list(
            checkin_candidates(session=session, q=q, viewer=request.user).annotate(
                checked_in_at=Subquery(at)
            )[:SEARCH_LIMIT]
        )
    return render(
        request,
        "events/checkin/page.html",
        {
            "session": session,
            "activity": session.activity,
            "counts": checkin_counts(session=session),
            "ticket_form": ticket_form,
            "search_form": search_form,
            "q": q,
            "candidates": candidates,
        },
        status=200,
    )
