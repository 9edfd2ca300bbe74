"""The holiday day-care (暑托班): programmes of weeks, booking a week or the whole programme for siblings in one go.

Guardians (signed in): the programmes, one programme with its weeks and ONE booking form (weeks or the
whole programme × her children), and her children's weeks. Staff (signed in, two-factor for staff):
create and change a programme.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from events.models import RegistrationStatus
from events.services.activities import may_create_activity
from portal.accounts.middleware import shows_personal_data
from portal.holidays.selectors import unknown_years_warning
from youth.forms.daycare import DaycareBookingForm, DaycareProgrammeForm
from youth.selectors import daycare as selectors
from youth.selectors.access import children_of
from youth.services import daycare as services


def staff_page(view):
    """Signed in; two-factor sign-in for staff (the staff pages of the youth area)."""
    return login_required(shows_personal_data(view))


def _url_or_none(name: str) -> str | None:
    """A link to another piece's page, once that piece is built (the lead runs the whole area)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _annotate_weeks(programme):
    for w in programme.week_list:
        capacity = w.activity.capacity or 0
        w.seats_left = max(capacity - w.seats_taken, 0)
        w.label = services.week_label(w)
    return programme.week_list


@login_required
@require_http_methods(["GET"])
def daycare_list(request):
    now = timezone.now()
    programmes = list(selectors.programmes_listed(user=request.user))
    managed = (
        selectors.managed_programme_ids(user=request.user) if may_create_activity(request.user) else set()
    )
    for p in programmes:
        p.state = selectors.programme_state(p, now=now)
        p.can_edit = p.pk in managed
        _annotate_weeks(p)
    return render(
        request,
        "youth/daycare/list.html",
        {"programmes": programmes, "can_create": may_create_activity(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def daycare_detail(request, pk):
    programme = selectors.programme_get_for(user=request.user, programme_id=pk)
    now = timezone.now()
    weeks = _annotate_weeks(programme)
    state = selectors.programme_state(programme, now=now)
    children = children_of(request.user).order_by("birth_date", "pk")
    child_list = list(children)
    lottery = bool(weeks) and weeks[0].activity.is_lottery
    form = None
    if state.code != "closed" and child_list:
        form = DaycareBookingForm(
            request.POST or None,
            programme=programme,
            weeks=programme.weeks.order_by("number"),
            children=children,
            submit_label=_("Apply for the lottery") if lottery else _("Book the day-care"),
        )
    if request.method == "POST":
        if form is None:
            messages.error(request, _("Booking has closed."))
            return redirect("youth:daycare", pk=programme.pk)
        if form.is_valid():
            try:
                results = services.daycare_book(
                    actor=request.user,
                    programme=programme,
                    weeks=list(form.cleaned_data["weeks"]),
                    children=list(form.cleaned_data["children"]),
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            except PermissionDenied:
                form.add_error("children", _("You can only book for your own children."))
            else:
                for line in services.result_lines(results):
                    messages.success(request, line)
                return redirect(reverse("youth:daycare", kwargs={"pk": programme.pk}) + "#my-status")
    status = selectors.status_by_week(programme=programme, children=child_list)
    for w in weeks:
        w.mine = status.get(w.pk, [])
    return render(
        request,
        "youth/daycare/detail.html",
        {
            "programme": programme,
            "weeks": weeks,
            "state": state,
            "form": form,
            "has_children": bool(child_list),
            "children_url": None if child_list else _url_or_none("youth:children"),
            "lottery": lottery,
            "can_edit": programme.pk in selectors.managed_programme_ids(user=request.user),
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_http_methods(["GET"])
def my_daycare(request):
    now = timezone.now()
    regs = list(selectors.daycare_registrations(children=children_of(request.user)))
    for r in regs:
        r.week = r.activity.daycare_week
        r.label = services.week_label(r.week)
        r.open_offer = selectors.open_offer(r, now=now)
        r.can_cancel = r.status == RegistrationStatus.CONFIRMED
        r.can_leave = r.status in (RegistrationStatus.WAITLISTED, RegistrationStatus.APPLIED)
        if r.status != RegistrationStatus.WAITLISTED:
            r.position = None
    return render(request, "youth/daycare/mine.html", {"regs": regs})


@staff_page
@require_http_methods(["GET", "POST"])
def daycare_new(request):
    if not may_create_activity(request.user):
        raise PermissionDenied
    form = DaycareProgrammeForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            programme = services.daycare_programme_create(
                actor=request.user,
                title=d["title"],
                description=d["description"],
                place=d["place"],
                organiser_org=d.get("organiser_org"),
                starts_on=d["starts_on"],
                ends_on=d["ends_on"],
                day_starts=d["day_starts"],
                day_ends=d["day_ends"],
                min_age=d["min_age"],
                max_age=d["max_age"],
                capacity=d["capacity"],
                allocation=d["allocation"],
                booking_opens_at=d["booking_opens_at"],
                booking_closes_at=d["booking_closes_at"],
                early_opens_at=d.get("early_opens_at"),
                early_group=d.get("early_group"),
                waitlist=d["waitlist"],
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(
                request,
                _("The day-care “%(title)s” has been created with %(n)d weeks.")
                % {"title": programme.title, "n": programme.weeks.count()},
            )
            warning = unknown_years_warning(programme.starts_on, programme.ends_on)
            if warning:  # the portal's calendar does not know that year: its holidays were not skipped
                messages.warning(request, warning)
            return redirect("youth:daycare", pk=programme.pk)
    return render(
        request,
        "youth/daycare/form.html",
        {"form": form, "title": _("New holiday day-care")},
        status=400 if form.errors else 200,
    )


@staff_page
@require_http_methods(["GET", "POST"])
def daycare_edit(request, pk):
    programme = selectors.programme_manageable_get(user=request.user, programme_id=pk)
    initial = {f: getattr(programme, f) for f in DaycareProgrammeForm.EDIT_FIELDS}
    form = DaycareProgrammeForm(request.POST or None, actor=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.daycare_programme_update(actor=request.user, programme=programme, **form.cleaned_data)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        except PermissionDenied:
            raise
        else:
            messages.success(request, _("The day-care has been changed."))
            return redirect("youth:daycare", pk=programme.pk)
    return render(
        request,
        "youth/daycare/form.html",
        {"form": form, "title": _("Change the day-care"), "programme": programme},
        status=400 if form.errors else 200,
    )


urlpatterns: list = [
    path("daycare/", daycare_list, name="daycare_list"),
    path("daycare/mine/", my_daycare, name="my_daycare"),
    path("daycare/new/", daycare_new, name="daycare_new"),
    path("daycare/<int:pk>/", daycare_detail, name="daycare"),
    path("daycare/<int:pk>/edit/", daycare_edit, name="daycare_edit"),
]
