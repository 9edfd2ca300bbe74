"""The health station's pages.

* ``elders:health``: the station's front page: the clinics the user runs (a week back, a month ahead), her
  open follow-ups, the thresholds (community staff);
* ``elders:clinic`` (a session): the nurse's tablet page: who is at the clinic, a name search for walk-ins,
  and an elder's readings form, with the flags of what was just recorded (urgent ones as an alert);
* ``elders:readings`` (an elder): her readings over time, charts with the same figures as tables;
* ``elders:followups`` / ``elders:followup_close``: follow-ups, mine and all I oversee, closed with an outcome;
* ``elders:thresholds`` / ``elders:threshold_edit``: the screening cut-offs (community staff).

Views are thin: a scoped selector (404 outside the viewer's scope), a form, one service call.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from portal.accounts.middleware import shows_personal_data
from portal.accounts.ratelimits import client_ip
from portal.community.models import ConsentPurpose
from portal.community.selectors import has_consent, may_see_sensitive, sensitive_access_log
from portal.forms_render import crispy_field

from ..forms.health import (
    FollowUpCloseForm,
    ReadingsForm,
    ThresholdForm,
    WalkInSearchForm,
    apply_service_errors,
)
from ..models import FlagLevel
from ..selectors import health as sel
from ..selectors.access import elder_get_for
from ..services import health as services

#: What the access log says was viewed.
READINGS_FIELDS = "health_readings"
PAGE_SIZE = 25


def elder_page_url(person_id: int) -> str:
    """The elder page (the core piece's ``elders:elder``)."""
    try:
        return reverse("elders:elder", args=[person_id])
    except NoReverseMatch:
        return reverse("community:workbench_person", args=[person_id])


def desk_consent_url(person_id: int) -> str:
    """Where staff record her signed paper consent at the desk (the core piece's page), else her page."""
    try:
        return reverse("elders:desk_consent", args=[person_id])
    except NoReverseMatch:
        return elder_page_url(person_id)


def staff_required(view):
    """Staff of any kind (community staff, grid workers, partner staff), each within her own scope."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.works_for_community:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@shows_personal_data
@staff_required
def health_home(request):
    sessions = list(sel.clinic_sessions_for(viewer=request.user))
    return render(
        request,
        "elders/health/home.html",
        {
            "sessions": sessions,
            "followups_mine": sel.open_followups_count(viewer=request.user),
            "may_edit_thresholds": request.user.is_community_staff,
        },
    )


def _clinic_url(session, elder_id=None, q="") -> str:
    url = reverse("elders:clinic", args=[session.pk])
    params = {k: v for k, v in (("elder", elder_id), ("q", q)) if v}
    return f"{url}?{urlencode(params)}" if params else url


@shows_personal_data
@staff_required
def clinic(request, session_id):
    session = sel.clinic_session_get(viewer=request.user, session_id=session_id)
    elder_id = request.POST.get("elder", "") if request.method == "POST" else request.GET.get("elder", "")
    elder = (
        sel.clinic_elder_get(viewer=request.user, session=session, person_id=elder_id) if elder_id else None
    )
    q = request.GET.get("q", "")
    search_form = WalkInSearchForm({"q": q} if q else None)
    found = (
        sel.walkin_search(viewer=request.user, q=q, session=session) if q and search_form.is_valid() else []
    )
    consent = has_consent(person=elder, purpose=ConsentPurpose.HEALTH) if elder else False
    form = None
    if elder is not None and consent:
        if request.method == "POST":
            form = ReadingsForm(request.POST)
            if form.is_valid():
                try:
                    rows = services.readings_record(
                        actor=request.user,
                        elder=elder,
                        session=session,
                        readings=form.cleaned_data["readings"],
                        taken_at=form.cleaned_data.get("taken_at"),
                        note=form.cleaned_data.get("note", ""),
                    )
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                except PermissionDenied as exc:
                    raise Http404 from exc
                else:
                    messages.success(
                        request,
                        _("Recorded %(n)d reading(s) for %(name)s.") % {"n": len(rows), "name": elder.name},
                    )
                    return redirect(_clinic_url(session, elder.pk))
        else:
            form = ReadingsForm()
    elif request.method == "POST":
        # No elder chosen, or no consent: nothing to record (the page says why).
        return redirect(_clinic_url(session, elder.pk if elder else None))
    recorded = sel.session_readings_of(session=session, elder=elder) if elder and consent else []
    recorded_rows = [
        {"reading": r, "value": sel.reading_value_text(r), "flags": sel.flag_texts(r)} for r in recorded
    ]
    if recorded:
        sensitive_access_log(
            viewer=request.user,
            persons=[elder],
            fields=READINGS_FIELDS,
            where="elders:clinic",
            ip=client_ip(request),
        )
    # The page and the list's length in one query.
    attendees = sel.clinic_attendees_page(session=session, per_page=PAGE_SIZE, number=request.GET.get("page"))
    return render(
        request,
        "elders/health/clinic.html",
        {
            "session": session,
            "activity": session.activity,
            "attendees": attendees,
            "attendee_rows_html": _attendee_rows_html(
                sel.attendee_rows(attendees.object_list, elder=elder),
                page_param=f"page={attendees.number}&" if attendees.number > 1 else "",
            ),
            "attendees_query": urlencode(
                {k: v for k, v in (("elder", elder.pk if elder else ""), ("q", q)) if v}
            ),
            "page_param": f"page={attendees.number}&" if attendees.number > 1 else "",
            "search_form": search_form,
            "search_field": crispy_field(search_form["q"]),
            "q": q,
            "found": found,
            "elder": elder,
            "consent": consent,
            "form": form,
            "recorded": recorded_rows,
            "urgent": [f for row in recorded_rows for f in row["flags"] if f["level"] == FlagLevel.URGENT],
            "abnormal": [
                f for row in recorded_rows for f in row["flags"] if f["level"] == FlagLevel.ABNORMAL
            ],
            "elder_url": elder_page_url(elder.pk) if elder else "",
            "consent_url": desk_consent_url(elder.pk) if elder else "",
        },
    )


def _attendee_rows_html(rows, *, page_param: str) -> str:
    """The clinic's list (``<li>`` for each row), built in Python rather than by the template's tags for
    each of the page's 25 rows (issue 13). Every value is escaped."""
    booked = escape(_("Booked"))
    out = []
    for p in rows:
        current = p.is_current
        came = (
            f'<span class="badge text-bg-success">{escape(p.came_words)}</span>'
            if p.came_words
            else f'<span class="badge text-bg-secondary">{booked}</span>'
        )
        readings = (
            f'\n<span class="badge text-bg-primary">{escape(p.readings_words)}</span>'
            if p.readings_words
            else ""
        )
        active = " active" if current else ""
        aria = ' aria-current="true"' if current else ""
        out.append(
            '<li class="list-group-item p-0">\n<a class="list-group-item list-group-item-action border-0 d-flex '
            f'justify-content-between align-items-center gap-2{active}"{aria} '
            f'href="?{escape(page_param)}elder={p.pk}">\n'
            f'<span class="fw-semibold">{escape(p.name)}</span>\n<span>\n{came}{readings}\n</span>\n</a>\n</li>\n'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@shows_personal_data
@login_required
def readings(request, pk):
    elder = elder_get_for(viewer=request.user, person_id=pk)
    if not may_see_sensitive(viewer=request.user, person=elder):
        raise Http404("No such elder.")
    consent = has_consent(person=elder, purpose=ConsentPurpose.HEALTH)
    view = None
    if consent:
        view = sel.elder_readings(elder=elder)
        sensitive_access_log(
            viewer=request.user,
            persons=[elder],
            fields=READINGS_FIELDS,
            where="elders:readings",
            ip=client_ip(request),
        )
    return render(
        request,
        "elders/health/readings.html",
        {
            "elder": elder,
            "consent": consent,
            "view": view,
            "rows": [
                {"reading": r, "value": sel.reading_value_text(r), "flags": sel.flag_texts(r)}
                for r in (view.readings if view else [])
            ],
            "elder_url": elder_page_url(elder.pk),
            "consent_url": desk_consent_url(elder.pk),
        },
    )


@shows_personal_data
@login_required
def followups(request):
    show = request.GET.get("show", "mine")
    if show not in sel.FOLLOWUP_SHOW:
        show = "mine"
    may_all = sel.may_see_all_followups(request.user)
    qs = sel.followups_visible_to(viewer=request.user, show=show)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    if items:
        sensitive_access_log(
            viewer=request.user,
            persons=[f.elder for f in items],
            fields=READINGS_FIELDS,
            where="elders:followups",
            ip=client_ip(request),
        )
    rows = [
        {
            "followup": f,
            "flags": sel.flag_texts(f.reading) if f.reading_id else [],
            "value": sel.reading_value_text(f.reading) if f.reading_id else "",
        }
        for f in items
    ]
    return render(
        request,
        "elders/health/followups.html",
        {"show": show, "may_all": may_all, "page": page, "rows": rows, "query": urlencode({"show": show})},
    )


@shows_personal_data
@login_required
def followup_close(request, pk):
    followup = sel.followup_get_for(viewer=request.user, followup_id=pk)
    if request.method == "POST":
        form = FollowUpCloseForm(request.POST)
        if form.is_valid():
            try:
                services.followup_close(
                    actor=request.user, followup=followup, outcome=form.cleaned_data["outcome"]
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(
                    request, _("The follow-up of %(name)s is closed.") % {"name": followup.elder.name}
                )
                return redirect(reverse("elders:followups"))
    else:
        form = FollowUpCloseForm()
    sensitive_access_log(
        viewer=request.user,
        persons=[followup.elder],
        fields=READINGS_FIELDS,
        where="elders:followup_close",
        ip=client_ip(request),
    )
    reading = followup.reading
    return render(
        request,
        "elders/health/followup_close.html",
        {
            "followup": followup,
            "form": form,
            "flags": sel.flag_texts(reading) if reading else [],
            "value": sel.reading_value_text(reading) if reading else "",
        },
    )


def _community_staff(request) -> None:
    if not request.user.is_community_staff:
        raise Http404


@login_required
def thresholds(request):
    _community_staff(request)
    return render(request, "elders/health/thresholds.html", {"thresholds": list(sel.thresholds_all())})


@login_required
def threshold_edit(request, pk):
    threshold = sel.threshold_get(viewer=request.user, threshold_id=pk)
    if request.method == "POST":
        form = ThresholdForm(request.POST, threshold=threshold)
        if form.is_valid():
            try:
                services.threshold_update(
                    actor=request.user,
                    threshold=threshold,
                    limit=form.cleaned_data["limit"],
                    level=form.cleaned_data["level"],
                    label=form.cleaned_data["label"],
                    source=form.cleaned_data["source"],
                    is_active=form.cleaned_data["is_active"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The threshold is saved."))
                return redirect(reverse("elders:thresholds"))
    else:
        form = ThresholdForm(threshold=threshold)
    return render(request, "elders/health/threshold_edit.html", {"threshold": threshold, "form": form})


urlpatterns = [
    path("health/", health_home, name="health"),
    path("health/clinic/<int:session_id>/", clinic, name="clinic"),
    path("<int:pk>/readings/", readings, name="readings"),
    path("health/follow-ups/", followups, name="followups"),
    path("health/follow-ups/<int:pk>/close/", followup_close, name="followup_close"),
    path("health/thresholds/", thresholds, name="thresholds"),
    path("health/thresholds/<int:pk>/edit/", threshold_edit, name="threshold_edit"),
]
