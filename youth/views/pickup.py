"""Safe pickup: the staff tablet's day roster, sign-in and sign-out (to an authorised person only), the
printable roster, children not collected, and the guardian's day-by-day record. Views are thin: a scoped
selector (404 for what the user may not see), a form, one service."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.accounts.middleware import shows_personal_data
from portal.accounts.ratelimits import client_ip
from portal.community.forms import apply_service_errors
from portal.forms_render import crispy_field, crispy_fields
from portal.links import pk_url

from ..forms.pickup import RosterFilterForm, SignOutForm
from ..selectors import pickup as sel
from ..selectors.access import child_get_for_guardian, may_run_youth
from ..selectors.collectors import collectors_for
from ..services.pickup import PickupRefused, child_sign_in, child_sign_out

#: Children on a page of the tablet roster (issue 13: 25, as the platform's other lists).
PAGE_SIZE = 25


def staff_page(view):
    """Signed in, two-factor for staff (children's allergies are shown), and running youth activities."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not may_run_youth(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return login_required(shows_personal_data(wrapped))


def _back_query(data) -> str:
    """The roster's own query (filter and page), rebuilt from known values only."""
    return urlencode(_back_params(data))


def _query_back(request) -> dict[str, str]:
    """The roster's filter and page as the GET query names them (``state``, ``page``)."""
    return {"state": request.GET.get("state", ""), "page": request.GET.get("page", "")}


def _back_params(data) -> dict[str, str]:
    params = {}
    state = data.get("state", "")
    if state in sel.STATES:
        params["state"] = state
    page = data.get("page", "")
    if isinstance(page, str) and page.isdigit() and len(page) < 7:
        params["page"] = page
    return params


def _roster_url(session, query: str = "") -> str:
    url = reverse("youth:roster_session", args=[session.pk])
    return f"{url}?{query}" if query else url


@staff_page
@require_http_methods(["GET"])
def roster(request):
    """Today's day-care sessions the staff member runs."""
    sessions = list(sel.roster_sessions(user=request.user))
    return render(request, "youth/pickup/roster.html", {"sessions": sessions, "today": timezone.localdate()})


def _hhmm(moment) -> str:
    """A sign-in or sign-out time as the roster shows it (the ``time:"H:i"`` filter, local time)."""
    return timezone.localtime(moment).strftime("%H:%M") if moment else ""


def _with_display(rows: list[sel.RosterRow], *, session, back: str) -> list[sel.RosterRow]:
    """Each row's display values computed once here rather than by a translation, a URL and a date tag per
    row in the template (issue 13: the tags of 25 rows were most of the page's time). The same msgids and
    URLs as the template used; the child's name is escaped."""
    # One reverse() for each kind of action, the child's id put into it.
    sign_in_url = pk_url("youth:sign_in", session.pk)
    sign_out_url = pk_url("youth:sign_out", session.pk)
    back_query = f"?{back}" if back else ""
    sign_in_label = _('Sign in <span class="visually-hidden">%(name)s</span>')
    sign_out_label = _('Sign out <span class="visually-hidden">%(name)s</span>')
    years_old = _("%(age)s years old")
    for row in rows:
        child, reg = row.child, row.registration
        name = conditional_escape(child.name)
        row.age_text = years_old % {"age": child.age} if child.birth_date else ""
        row.signed_in_text = _hhmm(reg.signed_in_at)
        row.signed_out_text = _hhmm(reg.signed_out_at)
        row.sign_in_url = sign_in_url(child.pk)
        row.sign_out_url = sign_out_url(child.pk) + back_query
        row.sign_in_label = mark_safe(sign_in_label % {"name": name})  # noqa: S308 - the name is escaped
        row.sign_out_label = mark_safe(sign_out_label % {"name": name})  # noqa: S308 - the name is escaped
    return rows


@staff_page
@require_http_methods(["GET"])
def roster_session(request, session_id: int):
    """The tablet day roster: every child booked, age, allergies, sign-in and sign-out (paged)."""
    session = sel.daycare_session_get(user=request.user, session_id=session_id)
    form = RosterFilterForm(request.GET or None)
    state = form.cleaned_data.get("state", "") if form.is_valid() else ""
    counts = sel.roster_counts(session=session)
    # The counts already hold the length of the list shown (booked, or the state's): no second COUNT; the
    # page's rows are read with the allergies she may see, in one statement.
    paginator = Paginator(
        sel.RosterPageList(
            session=session, viewer=request.user, state=state, count=counts[state or "booked"]
        ),
        PAGE_SIZE,
    )
    page = paginator.get_page(request.GET.get("page"))
    back = _back_query(_query_back(request))
    rows = sel.roster_rows(
        viewer=request.user,
        session=session,
        registrations=page.object_list,
        where="youth:roster_session",
        ip=client_ip(request),
        allergies_loaded=True,
    )
    return render(
        request,
        "youth/pickup/roster_session.html",
        {
            "session": session,
            "programme": sel.programme_of(session),
            "form": form,
            "fields": crispy_fields(form),
            "state": state,
            "page": page,
            "rows": _with_display(rows, session=session, back=back),
            "counts": counts,
            "query": urlencode({"state": state}) if state else "",
            "back": back,
        },
    )


@staff_page
@require_http_methods(["GET"])
def roster_print(request, session_id: int):
    """The printable A4 roster: names, allergies, guardians' phones, collectors, sign-in/out columns."""
    session = sel.daycare_session_get(user=request.user, session_id=session_id)
    rows = sel.roster_rows(
        viewer=request.user,
        session=session,
        registrations=sel.roster_queryset(session=session),
        where="youth:roster_print",
        ip=client_ip(request),
        full=True,
    )
    return render(
        request,
        "youth/pickup/roster_print.html",
        {"session": session, "programme": sel.programme_of(session), "rows": rows},
    )


@staff_page
@require_POST
def sign_in(request, session_id: int, child_id: int):
    """Sign a child in at drop-off; back to the roster as it was, with the outcome."""
    session = sel.daycare_session_get(user=request.user, session_id=session_id)
    reg = sel.roster_child_get(session=session, child_id=child_id)
    try:
        checkin = child_sign_in(staff=request.user, session=session, child=reg.person)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s signed in at %(time)s.")
            % {"name": reg.person.name, "time": timezone.localtime(checkin.checked_in_at).strftime("%H:%M")},
        )
    return redirect(_roster_url(session, _back_query(request.POST)))


@staff_page
@require_http_methods(["GET", "POST"])
def sign_out(request, session_id: int, child_id: int):
    """Who is collecting her: her collectors as big tiles with photos, or someone else (refused, recorded,
    guardians told at once)."""
    session = sel.daycare_session_get(user=request.user, session_id=session_id)
    reg = sel.roster_child_get(session=session, child_id=child_id, viewer=request.user)
    child = reg.person
    day = timezone.localtime(session.starts_at).date()
    collectors = collectors_for(child_ids=[child.pk], day=day)[child.pk]
    form = SignOutForm(request.POST or None, collectors=collectors)
    refusal = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            attempt = child_sign_out(
                staff=request.user,
                session=session,
                child=child,
                collector=form.collector_value,
                other_name=form.cleaned_data.get("other_name", ""),
                other_relation=form.cleaned_data.get("other_relation", ""),
            )
        except PermissionDenied:
            raise Http404 from None
        except PickupRefused as exc:
            refusal = exc.reason
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
            refusal = " ".join(exc.messages)
            status = 409
        else:
            messages.success(
                request,
                _("%(name)s signed out at %(time)s to %(whom)s.")
                % {
                    "name": child.name,
                    "time": timezone.localtime(attempt.at).strftime("%H:%M"),
                    "whom": attempt.checkout.released_to,
                },
            )
            return redirect(_roster_url(session, _back_query(request.POST)))
    elif request.method == "POST":
        status = 400
    allergies = sel.roster_rows(
        viewer=request.user,
        session=session,
        registrations=[reg],
        where="youth:sign_out",
        ip=client_ip(request),
        allergies_loaded=True,
    )[0].allergies
    return render(
        request,
        "youth/pickup/sign_out.html",
        {
            "session": session,
            "programme": sel.programme_of(session),
            "reg": reg,
            "child": child,
            "allergies": allergies,
            "collectors": collectors,
            "form": form,
            "fields": {name: crispy_field(form[name]) for name in ("other_name", "other_relation")},
            "refusal": refusal,
            "refused": sel.refused_today(session=session, child_id=child.pk),
            "back": _back_query(request.POST if request.method == "POST" else _query_back(request)),
            "back_params": _back_params(request.POST if request.method == "POST" else _query_back(request)),
        },
        status=status,
    )


@staff_page
@require_http_methods(["GET"])
def not_collected(request):
    """Children signed in and not signed out after their day-care's end time (today, this week)."""
    rows = sel.not_collected(user=request.user)
    guardians = sel.guardians_by_child({reg.person_id for _s, reg, _c in rows})
    items = [
        {"session": s, "reg": reg, "checkin": ci, "guardians": guardians.get(reg.person_id, [])}
        for s, reg, ci in rows
    ]
    return render(request, "youth/pickup/not_collected.html", {"items": items})


@login_required
@require_http_methods(["GET"])
def child_days(request, child_id: int):
    """A guardian's view of her child's day-care days: sign-in, sign-out, who collected, refusals."""
    child = child_get_for_guardian(user=request.user, child_id=child_id)
    return render(
        request, "youth/pickup/child_days.html", {"child": child, "days": sel.child_days(child=child)}
    )


urlpatterns = [
    path("pickup/", roster, name="roster"),
    path("pickup/not-collected/", not_collected, name="not_collected"),
    path("pickup/<int:session_id>/", roster_session, name="roster_session"),
    path("pickup/<int:session_id>/print/", roster_print, name="roster_print"),
    path("pickup/<int:session_id>/<int:child_id>/sign-in/", sign_in, name="sign_in"),
    path("pickup/<int:session_id>/<int:child_id>/sign-out/", sign_out, name="sign_out"),
    path("children/<int:child_id>/days/", child_days, name="child_days"),
]
