"""HTTP of the youth area's front door (``youth:index``), the holiday classes and parenting lectures
(``youth:classes``, ``youth:lectures``: booked on the engine's own activity page), the staff form of a new
class or lecture (``youth:class_new``) and attendance per child per session (``youth:attendance``).

Views are thin: a scoped selector (404 for a session the user does not run), a form, one service call
whose translated refusal is shown next to its field.
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

from events.models import Registration, RegistrationStatus
from portal.accounts.middleware import shows_personal_data
from portal.community.selectors import people_visible_to, person_of, phone_search_limited

from ..forms.classes import AttendanceForm, WalkInSearchForm, YouthActivityForm
from ..models import ProgrammeKind
from ..selectors import classes as selectors
from ..selectors.access import children_of, may_run_youth
from ..services.classes import attendance_tick, youth_activity_create


def staff_page(view):
    """Signed in; a page with children's personal data (staff need two-factor sign-in)."""
    return login_required(shows_personal_data(view))


def _url(name: str, *args) -> str | None:
    """The URL of a page of the area, or None while the piece that owns it is not built."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- the front door --------------------------------------------------------------------------------


@require_http_methods(["GET"])
def index(request):
    user = request.user
    now = timezone.now()
    guardian = user.is_authenticated and person_of(user) is not None
    staff = user.is_authenticated and may_run_youth(user)
    context = {
        "counts": selectors.index_counts(now=now),
        "classes": list(selectors.youth_activities(kind=ProgrammeKind.CLASS, now=now)[:3]),
        "lectures": list(selectors.youth_activities(kind=ProgrammeKind.LECTURE, now=now)[:3]),
        "shifts": selectors.youth_shifts_open(now=now),
        "daycare_url": _url("youth:daycare_list"),
        "children_url": _url("youth:children") if guardian else None,
        "my_children": children_of(user).count() if guardian else 0,
        "staff_links": [],
    }
    if staff:
        links = (
            ("youth:roster", _("Today's day-care roster")),
            ("youth:class_new", _("New class or lecture")),
            ("youth:daycare_new", _("New holiday day-care")),
            ("youth:stats", _("Figures")),
        )
        context["staff_links"] = [(u, label) for name, label in links if (u := _url(name))]
    return render(request, "youth/index.html", context)


# --- the lists -------------------------------------------------------------------------------------


def _list(request, *, kind: str, template: str):
    rows = list(selectors.youth_activities(kind=kind)[: selectors.LIST_MAX])
    context = {
        "rows": rows,
        "managed": selectors.managed_ids(user=request.user, rows=rows),
        "may_create": selectors.may_create_youth_activity(request.user),
    }
    return render(request, template, context)


@require_http_methods(["GET"])
def classes_page(request):
    return _list(request, kind=ProgrammeKind.CLASS, template="youth/classes/classes.html")


@require_http_methods(["GET"])
def lectures_page(request):
    return _list(request, kind=ProgrammeKind.LECTURE, template="youth/classes/lectures.html")


# --- a new class or lecture ------------------------------------------------------------------------


@staff_page
@require_http_methods(["GET", "POST"])
def class_new(request):
    if not selectors.may_create_youth_activity(request.user):
        raise PermissionDenied
    form = YouthActivityForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            youth = youth_activity_create(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(
                request,
                _(
                    "“%(title)s” is created with its sessions. Volunteer shifts and more sessions can be added on its page."
                )
                % {"title": youth.activity.title},
            )
            return redirect("events:manage", pk=youth.activity_id)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "youth/classes/new.html", {"form": form}, status=status)


# --- attendance --------------------------------------------------------------------------------------


def _attendance_post(request, session) -> None:
    form = AttendanceForm(request.POST)
    registration = person = None
    if form.is_valid() and form.cleaned_data["registration"]:
        registration = (
            Registration.objects.select_related("person", "booking", "activity")
            .filter(
                pk=form.cleaned_data["registration"],
                activity_id=session.activity_id,
                status=RegistrationStatus.CONFIRMED,
            )
            .first()
        )
        if registration is None:
            messages.error(request, _("This person has no confirmed place in this class."))
            return
    elif form.is_valid() and form.cleaned_data["person"]:
        person = people_visible_to(viewer=request.user).filter(pk=form.cleaned_data["person"]).first()
    if registration is None and person is None:
        messages.error(request, _("This person is not among the people you serve."))
        return
    try:
        attendance_tick(actor=request.user, session=session, registration=registration, person=person)
    except ValidationError as exc:
        if getattr(exc, "code", "") == "already_checked_in":
            messages.info(request, " ".join(exc.messages))
        else:
            for m in exc.messages:
                messages.error(request, m)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("This person is not among the people you serve."))
    else:
        name = (registration.person if registration else person).name
        messages.success(request, _("%(name)s is marked present.") % {"name": name})


@staff_page
@require_http_methods(["GET", "POST"])
def attendance(request, session_id):
    session = selectors.attendance_session_get(user=request.user, session_id=session_id)
    if request.method == "POST":
        _attendance_post(request, session)
        return redirect(reverse("youth:attendance", args=[session.pk]) + "#attendance")
    day = timezone.localtime(session.starts_at).date()
    rows = selectors.attendance_rows(session=session)
    search = WalkInSearchForm(request.GET or None)
    found = []
    if search.is_bound and search.is_valid() and (q := search.cleaned_data["q"].strip()):
        if limited := phone_search_limited(request, q=q):
            search.add_error("q", limited)
        else:
            found = selectors.walk_in_candidates(viewer=request.user, q=q, booked=[r.person_id for r in rows])
    context = {
        "search": search,
        "found": found,
        "session": session,
        "activity": session.activity,
        "youth": session.activity.youth,
        "rows": rows,
        "counts": selectors.attendance_counts(rows, day=day),
        "meetings": selectors.class_sessions(session=session),
        "day": day,
    }
    return render(request, "youth/classes/attendance.html", context)


urlpatterns = [
    path("", index, name="index"),
    path("classes/", classes_page, name="classes"),
    path("lectures/", lectures_page, name="lectures"),
    path("classes/new/", class_new, name="class_new"),
    path("classes/sessions/<int:session_id>/attendance/", attendance, name="attendance"),
]
