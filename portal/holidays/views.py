"""HTTP for the holiday calendar (节假日安排): community staff list the years the portal holds, read a
year's days, enter a year from its State Council notice, and edit or remove one holiday of a year.
Partner staff, grid workers and residents get a 403. Each write is one service call."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import NOTICE_FESTIVALS, CalendarYearForm, HolidayForm, year_from
from .models import Festival


def calendar_staff_required(view):
    """Community staff only: the calendar is the whole portal's, not a partner's or a grid's."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_community_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _festival_or_404(festival: str) -> str:
    if festival not in Festival.values:
        raise Http404
    return festival


def _apply_year_errors(exc: ValidationError, year_form, holiday_forms: dict[str, HolidayForm]) -> None:
    """``calendar_year_set``'s errors ("spring_festival.last") next to the field of the right holiday."""
    if not hasattr(exc, "error_dict"):
        year_form.add_error(None, exc.messages)
        return
    for key, errors in exc.error_dict.items():
        festival, _dot, field = key.partition(".")
        if field and festival in holiday_forms:
            form = holiday_forms[festival]
            form.add_error(field if field in form.fields else None, errors)
        else:
            year_form.add_error(key if key in year_form.fields else None, errors)


@calendar_staff_required
def year_list(request):
    rows = selectors.calendar_years_overview(today=timezone.localdate())
    return render(request, "holidays/year_list.html", {"rows": rows, "this_year": timezone.localdate().year})


@calendar_staff_required
def year_detail(request, year: int):
    cy = selectors.calendar_year_get(year)
    if cy is None:
        raise Http404
    spans = selectors.year_holidays(year=cy)
    present = {s.festival for s in spans}
    missing = [(f.value, f.label) for f in Festival if f.value not in present]
    return render(request, "holidays/year_detail.html", {"cy": cy, "spans": spans, "missing": missing})


@calendar_staff_required
def year_add(request):
    """A year's arrangement entered as its notice reads, one block per holiday."""
    data = request.POST if request.method == "POST" else None
    initial_year = year_from({"year": request.GET.get("year", "")}) or timezone.localdate().year + 1
    year_form = CalendarYearForm(data, initial={"year": initial_year})
    year = year_from(request.POST) if data is not None else initial_year
    holiday_forms = {
        f.value: HolidayForm(data, festival=f.value, year=year, prefix=f.value) for f in NOTICE_FESTIVALS
    }
    if data is not None:
        valid = year_form.is_valid()
        valid = all([form.is_valid() for form in holiday_forms.values()]) and valid
        if valid:
            year = year_form.cleaned_data["year"]
            if selectors.calendar_year_get(year) is not None:
                year_form.add_error(
                    "year",
                    _("The arrangement of %(year)d is already held: change its holidays on its page.")
                    % {"year": year},
                )
            else:
                holidays = {f: form.arrangement() for f, form in holiday_forms.items() if not form.is_empty}
                try:
                    services.calendar_year_set(
                        actor=request.user,
                        year=year,
                        notice=year_form.cleaned_data["notice"],
                        holidays=holidays,
                    )
                except ValidationError as exc:
                    _apply_year_errors(exc, year_form, holiday_forms)
                else:
                    messages.success(
                        request, _("The holiday arrangement of %(year)d is saved.") % {"year": year}
                    )
                    return redirect("holidays:year", year=year)
    return render(
        request,
        "holidays/year_add.html",
        {"year_form": year_form, "holiday_forms": list(holiday_forms.values())},
    )


@calendar_staff_required
def holiday_edit(request, year: int, festival: str):
    """Add one holiday to a held year, or change its days."""
    festival = _festival_or_404(festival)
    cy = selectors.calendar_year_get(year)
    if cy is None:
        raise Http404
    span = next((s for s in selectors.year_holidays(year=cy) if s.festival == festival), None)
    initial = {}
    if span is not None:
        initial = {
            "first": span.first if span.days_off else None,
            "last": span.last if span.days_off else None,
            "workdays": "、".join(d.isoformat() for d in span.workdays),
        }
    form = HolidayForm(request.POST or None, festival=festival, year=year, required=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        arrangement = form.arrangement()
        try:
            services.calendar_holiday_set(
                actor=request.user,
                year=year,
                festival=festival,
                first=arrangement.first,
                last=arrangement.last,
                workdays=arrangement.workdays,
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(
                request,
                _("%(holiday)s %(year)d is saved.") % {"holiday": Festival(festival).label, "year": year},
            )
            return redirect("holidays:year", year=year)
    return render(request, "holidays/holiday_edit.html", {"cy": cy, "form": form, "span": span})


@require_POST
@calendar_staff_required
def holiday_remove(request, year: int, festival: str):
    festival = _festival_or_404(festival)
    try:
        removed = services.calendar_holiday_remove(actor=request.user, year=year, festival=festival)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        if selectors.calendar_year_get(year) is None:
            return redirect("holidays:years")
    else:
        messages.success(
            request,
            _("%(holiday)s %(year)d is removed (%(count)d days).")
            % {"holiday": Festival(festival).label, "year": year, "count": removed},
        )
    return redirect("holidays:year", year=year)
