"""Staff book on a resident's behalf (an elder without a phone): find her, tick her family, book.

Staff of any kind (community staff, grid workers, partner staff) may use it, each within her own scope:
the search is ``portal.community.selectors.people_search`` scoped to her, the persons offered are the
resident and those the resident acts for (guardian / carer relations) that the staff member may see,
and the booking is one call of ``events.services.booking_create_on_behalf`` (recorded as on behalf;
same rules as a resident's own booking: its refusals are shown next to the fields, nothing is saved).
Anyone else gets a 404. After booking, the ticket page (which its booker may open) can be printed.

A double tap sends the same one-time ``request_key``: the second request finds the booking the first
made (kept in the staff member's session) and shows it instead of booking again.
"""

from __future__ import annotations

import secrets

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.community.models import ACTING_RELATIONS, Person, Relation
from portal.community.selectors import people_search, people_visible_to, person_get_for, phone_search_limited

from .forms import BookingForm
from .forms_staff import RequestKeyField
from .models import Activity, Booking, RegistrationStatus
from .selectors import activity_get_for, sessions_with_seats
from .services import booking_create_on_behalf
from .views import booking_state

SEARCH_LIMIT = 20
#: How many recent request keys a staff member's session remembers.
KEYS_KEPT = 20
SESSION_KEYS = "events.onbehalf.keys"


class ResidentSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Find the resident"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "Name, pinyin (e.g. zhang), initials, the last 4 digits of the phone, or the address."
        ),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_id = "resident-search"
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("search", gettext_lazy("Search"), css_class="btn-brand"))


class OnBehalfForm(BookingForm):
    request_key = RequestKeyField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["persons"].label = gettext_lazy("Book for")
        self.fields["persons"].help_text = gettext_lazy(
            "The resident and the people in her care: tick everyone to book in one go."
        )
        if not self.is_bound:
            self.initial["request_key"] = secrets.token_urlsafe(24)


def family_of(*, staff, resident: Person):
    """The resident and the people she acts for, as far as the staff member may see them."""
    acting = Relation.objects.filter(subject_id=resident.pk, kind__in=ACTING_RELATIONS).values("relative_id")
    return (
        people_visible_to(viewer=staff)
        .filter(Q(pk=resident.pk) | Q(pk__in=acting))
        .order_by("birth_date", "id")
    )


def _phone_tail(person: Person) -> str:
    digits = "".join(ch for ch in str(person.phone or "") if ch.isdigit())
    return digits[-4:] if digits else ""


def _remembered(request, key: str) -> Booking | None:
    token = request.session.get(SESSION_KEYS, {}).get(key) if key else None
    return Booking.objects.filter(token=token, booked_by=request.user).first() if token else None


def _remember(request, key: str, booking: Booking) -> None:
    if not key:
        return
    keys = dict(list(request.session.get(SESSION_KEYS, {}).items())[-(KEYS_KEPT - 1) :])
    keys[key] = booking.token
    request.session[SESSION_KEYS] = keys


def _done(request, booking: Booking):
    regs = list(booking.registrations.select_related("person").order_by("id"))
    names = {
        status: "、".join(r.person.name for r in regs if r.status == status)
        for status in (
            RegistrationStatus.CONFIRMED,
            RegistrationStatus.WAITLISTED,
            RegistrationStatus.APPLIED,
        )
    }
    if names[RegistrationStatus.CONFIRMED]:
        messages.success(
            request,
            _("Booked on the resident's behalf: %(names)s.") % {"names": names[RegistrationStatus.CONFIRMED]},
        )
    if names[RegistrationStatus.WAITLISTED]:
        messages.warning(
            request, _("On the waitlist: %(names)s.") % {"names": names[RegistrationStatus.WAITLISTED]}
        )
    if names[RegistrationStatus.APPLIED]:
        messages.success(
            request,
            _("Lottery application made for: %(names)s.") % {"names": names[RegistrationStatus.APPLIED]},
        )
    messages.info(
        request,
        _("Print this ticket for the resident, or note the booking number %(no)s.") % {"no": booking.pk},
    )
    return redirect("events:ticket", token=booking.token)


def _activity_for(request, pk) -> Activity:
    if not request.user.works_for_community:
        raise Http404("No such page.")
    return activity_get_for(user=request.user, activity_id=pk)


@login_required
def onbehalf_page(request, pk):
    activity = _activity_for(request, pk)
    now = timezone.now()
    base = reverse("events:onbehalf", args=[activity.pk])
    # Validated (too long, NUL bytes PostgreSQL refuses): the error is shown next to the search field.
    search_form = ResidentSearchForm({"q": request.GET["q"]} if request.GET.get("q") else None)
    q = search_form.cleaned_data["q"].strip() if search_form.is_bound and search_form.is_valid() else ""
    limited = phone_search_limited(request, q=q) if q and not request.GET.get("person") else None
    if limited:  # too many searches by phone digits: the reason next to the field, no results
        search_form.add_error("q", limited)
        q = ""
    person_id = request.GET.get("person")
    resident, family, form, results = None, [], None, []
    if person_id:
        resident = person_get_for(viewer=request.user, person_id=person_id)
        family = family_of(staff=request.user, resident=resident)
        sessions = sessions_with_seats(activity.sessions.filter(cancelled=False, starts_at__gt=now)).order_by(
            "starts_at", "id"
        )
        form = OnBehalfForm(
            request.POST or None,
            activity=activity,
            people=family,
            sessions=sessions,
            submit_label=_("Apply on the resident's behalf")
            if activity.is_lottery
            else _("Book on the resident's behalf"),
        )
        form.helper.form_action = f"{base}?{urlencode({'person': resident.pk})}"
    elif q:
        results = list(people_search(viewer=request.user, q=q).filter(is_active=True)[:SEARCH_LIMIT])
        for p in results:
            p.phone_tail = _phone_tail(p)  # the tail only, whatever was typed
    if request.method == "POST":
        if form is None:
            raise Http404("Choose a resident first.")
        done = _remembered(request, request.POST.get("request_key", ""))
        if done is not None:
            return _done(request, done)
        if form.is_valid():
            try:
                booking = booking_create_on_behalf(
                    staff=request.user,
                    activity=activity,
                    persons=list(form.cleaned_data["persons"]),
                    session=form.chosen_session,
                )
            except PermissionDenied:
                raise Http404("No such person.") from None
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                _remember(request, form.cleaned_data.get("request_key", ""), booking)
                return _done(request, booking)
    return render(
        request,
        "events/onbehalf/page.html",
        {
            "activity": activity,
            "state": booking_state(activity=activity, now=now),
            "q": q,
            "search_form": search_form,
            "results": results,
            "searched": bool(q) and resident is None,
            "resident": resident,
            "family": family,
            "form": form,
            "base": base,
        },
        status=400 if form is not None and form.errors else 200,
    )
