"""HTTP of the area's front door and the elder profile: the elder list (``elders:index``), the elder page
(``elders:elder``) with the sections of the other pieces, the profile edit, the risk override, the
desk consent from a signed paper form, and staff's edit of her care facts (失能, 残疾, 低保) through the
platform's sensitive-profile form and service.

Every elder comes through ``elders.selectors`` scoped to the user (404 outside her scope); every write
is one service call whose translated refusal is shown next to its field.
"""

from __future__ import annotations

from importlib import import_module
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from elders.forms.core import (
    DeskConsentForm,
    DeskWithdrawForm,
    ElderFilterForm,
    ElderProfileForm,
    RiskOverrideForm,
)
from elders.models import BirthdayCalendar, ElderProfile
from elders.selectors import profiles as selectors
from elders.selectors.access import assignment_q, elders_visible_to
from elders.services import profiles as services
from elders.services.risk import default_living_situation
from portal.accounts.middleware import shows_personal_data
from portal.accounts.ratelimits import client_ip
from portal.community.forms import SensitiveProfileForm, apply_service_errors
from portal.community.models import ConsentPurpose
from portal.community.selectors import consents_for, has_consent, sensitive_profile_for
from portal.community.services import (
    consent_record_at_desk,
    consent_withdraw_at_desk,
    sensitive_profile_update,
)
from portal.forms_render import crispy_fields

PAGE_SIZE = 25
#: The pieces whose section shows on the elder page, in order.
SECTION_PIECES = ("partners", "health", "outreach")


def elders_page(view):
    """Signed in; a page with residents' personal data (staff need two-factor sign-in)."""
    return login_required(shows_personal_data(view))


def _staff_list(user) -> bool:
    return user.works_for_community


# --- the list -----------------------------------------------------------------------------------------


def _list_rows_html(rows) -> str:
    """The rows of the elder list (``elders/core/_rows.html``'s ``<tr>`` for each row), built in Python for
    ``index`` (issue 13: the template's lookups for 25 rows of seven cells). Every value is escaped; a test
    holds the markup to the template's loop, which the residents' page still renders."""
    from html import escape as html_escape

    from django.utils.safestring import mark_safe
    from django.utils.translation import pgettext

    def esc(value) -> str:
        # Django's escape() is str() then the standard library's html.escape(); every value here is a
        # plain string or number (names, labels, translations), none already marked safe.
        return html_escape(str(value))

    l_name, l_age, l_band = esc(pgettext("person", "Name")), esc(_("Age")), esc(_("Age band"))
    l_address, l_living = esc(_("Address")), esc(_("Living situation"))
    l_groups, l_risk, l_set = esc(_("Special groups")), esc(_("Risk level")), esc(_("(set by staff)"))
    out = []
    for row in rows:
        groups = "".join(f'<span class="badge elders-group">{esc(g)}</span> ' for g in row.groups) or "—"
        out.append(
            '<tr data-testid="elder-row">'
            f'<td data-label="{l_name}"><a href="{esc(row.url)}">{esc(row.person.name)}</a></td>'
            f'<td data-label="{l_age}">{esc(row.age_text)}</td>'
            f'<td data-label="{l_band}">{esc(row.band_label or "—")}</td>'
            f'<td data-label="{l_address}">{esc(row.short_address)}</td>'
            f'<td data-label="{l_living}">{esc(row.living_label)}</td>'
            f'<td data-label="{l_groups}" data-testid="groups">\n{groups}\n</td>'
            f'<td data-label="{l_risk}" data-testid="risk">\n'
            f'<span class="badge elders-risk elders-risk-{esc(row.risk_level)}">{esc(row.risk_label)}</span>'
            + (f' <span class="small">{l_set}</span>' if row.overridden else "")
            + (f'\n<span class="d-block small">{esc(row.reasons_text)}</span>' if row.reasons else "")
            + "\n</td></tr>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@elders_page
@require_http_methods(["GET"])
def index(request):
    """Staff of any kind: the elders of their scope, filtered. Anyone else: the elders she is paired with
    (我结对的老人), the elders she acts for (her mother), and the area's services."""
    user = request.user
    today = timezone.localdate()
    staff = _staff_list(user)
    assigned = elders_visible_to(viewer=user, on=today).filter(assignment_q(user))
    if not staff and not assigned.exists():
        family = list(selectors.acting_for_elders(viewer=user, on=today))
        rows = selectors.elder_rows(viewer=user, persons=family, ip=client_ip(request), on=today)
        return render(request, "elders/core/resident.html", {"rows": rows})
    form = ElderFilterForm(
        request.GET or None,
        sensitive_groups=selectors.sensitive_filter_q(user) is not None,
        grids=user.is_community_staff,
    )
    filters = {name: form.value(name) for name in form.fields}
    chosen = {
        "viewer": user,
        "q": filters.get("q") or "",
        "band": filters.get("band"),
        "group": filters.get("group") or "",
        "risk": filters.get("risk") or "",
        "grid": filters.get("grid"),
        "assigned_only": not staff,
        "on": today,
    }
    paginator = Paginator(selectors.elders_for_list(**chosen), PAGE_SIZE)
    # "N elders" counted apart from the rows' query (by age, then the younger ones with a profile): the
    # rows' query probes the profile row by row, which suits a page cut by LIMIT but not a count.
    paginator.count = selectors.count_for_list(**chosen)
    page = paginator.get_page(request.GET.get("page"))
    rows = selectors.elder_rows(viewer=user, persons=page.object_list, ip=client_ip(request), on=today)
    query = {k: (v.pk if hasattr(v, "pk") else v) for k, v in filters.items() if v not in (None, "")}
    return render(
        request,
        "elders/core/index.html",
        {
            "form": form,
            "fields": crispy_fields(form),
            "page": page,
            "rows": rows,
            "rows_html": _list_rows_html(rows),
            "staff": staff,
            "query": urlencode(query),
            "filtered": bool(query),
        },
    )


# --- the elder page -----------------------------------------------------------------------------------


def _sections(request, elder) -> tuple[list[str], dict]:
    """The templates of the sections shown, and their context (each piece's keys its own): the page
    includes them as it renders, rather than each section rendered on its own with the request's context
    processors run again for it (issue 13)."""
    templates, context = [], {}
    for piece in SECTION_PIECES:
        module = import_module(f"elders.selectors.section_{piece}")
        found = module.elder_section(viewer=request.user, elder=elder, request=request)
        if found:
            context.update(found)
            templates.append(f"elders/{piece}/_elder_section.html")
    return templates, context


@elders_page
@require_http_methods(["GET"])
def elder(request, pk):
    person = selectors.elder_page_get(viewer=request.user, person_id=pk)
    context = selectors.elder_page(viewer=request.user, elder=person, ip=client_ip(request))
    may_edit = services.may_edit_profile(actor=request.user, person=person)
    context.update(
        may_edit=may_edit,
        may_override=services.may_override_risk(actor=request.user),
        may_desk=may_edit,
        may_edit_care=request.user.is_community_staff,
    )
    sections, section_context = _sections(request, person)
    # Her health consent was read with her (``elder_page_get``): not a query of its own.
    context = {**section_context, **context, "sections": sections, "health_consent": person.health_consent}
    return render(request, "elders/core/elder.html", context)


# --- staff edits --------------------------------------------------------------------------------------


def _editable(request, pk):
    person = selectors.elder_page_get(viewer=request.user, person_id=pk)
    if not services.may_edit_profile(actor=request.user, person=person):
        raise Http404("No such elder.")
    return person


def _profile_initial(person) -> dict:
    profile = ElderProfile.objects.filter(person=person).select_related("helper", "family_doctor").first()
    if profile is None:
        return {
            "living_situation": default_living_situation(person),
            "birthday_calendar": BirthdayCalendar.SOLAR,
        }
    return {
        "living_situation": profile.living_situation,
        "childless_widowed": profile.childless_widowed,
        "helper": profile.helper.phone if profile.helper else "",
        "helper_kind": profile.helper_kind,
        "family_doctor": profile.family_doctor.phone if profile.family_doctor else "",
        "needs": profile.needs,
        "birthday_greetings": profile.birthday_greetings,
        "birthday_calendar": profile.birthday_calendar,
    }


@elders_page
@require_http_methods(["GET", "POST"])
def profile_edit(request, pk):
    person = _editable(request, pk)
    form = ElderProfileForm(request.POST or None, initial=_profile_initial(person))
    if request.method == "POST" and form.is_valid():
        try:
            services.elder_profile_update(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The profile of %(name)s has been saved, entered on her behalf.") % {"name": person.name},
            )
            return redirect("elders:elder", pk=person.pk)
    return render(request, "elders/core/profile_form.html", {"elder": person, "form": form})


@elders_page
@require_http_methods(["GET", "POST"])
def risk_override(request, pk):
    person = selectors.elder_page_get(viewer=request.user, person_id=pk)
    if not services.may_override_risk(actor=request.user):
        raise Http404("No such elder.")
    facts = selectors.elder_facts(
        person=person, sensitive=None, show_sensitive=False, on=timezone.localdate()
    )
    profile = facts.profile
    initial = {"level": profile.risk_override if profile else ""}
    form = RiskOverrideForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.elder_risk_override(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The risk level has been saved with your reason."))
            return redirect("elders:elder", pk=person.pk)
    return render(request, "elders/core/risk_form.html", {"elder": person, "form": form, "facts": facts})


@elders_page
@require_http_methods(["GET", "POST"])
def desk_consent(request, pk):
    """Record her health consent from the paper form she signed at the desk (or withdraw it there)."""
    person = _editable(request, pk)
    action = request.POST.get("action") if request.method == "POST" else None
    record_form = DeskConsentForm(request.POST if action is not None and action != "withdraw" else None)
    withdraw_form = DeskWithdrawForm(request.POST if action == "withdraw" else None)
    if action is not None:
        form = withdraw_form if action == "withdraw" else record_form
        if form.is_valid():
            try:
                if action == "withdraw":
                    consent_withdraw_at_desk(staff=request.user, person=person, purpose=ConsentPurpose.HEALTH)
                    messages.success(
                        request,
                        _(
                            "Her health consent has been withdrawn; her health details and readings were deleted."
                        ),
                    )
                else:
                    consent_record_at_desk(staff=request.user, person=person, purpose=ConsentPurpose.HEALTH)
                    messages.success(request, _("Her health consent has been recorded from the signed form."))
            except PermissionDenied:
                raise Http404("No such elder.") from None
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return redirect("elders:elder", pk=person.pk)
    consent = consents_for(person=person).get(ConsentPurpose.HEALTH)
    return render(
        request,
        "elders/core/desk_consent.html",
        {"elder": person, "record_form": record_form, "withdraw_form": withdraw_form, "consent": consent},
    )


@elders_page
@require_http_methods(["GET", "POST"])
def care_edit(request, pk):
    """Community staff record her care facts (失能 level, 残疾, 低保 and the rest of the sensitive profile)
    through the platform's form and service; viewing is logged like every other view."""
    person = selectors.elder_page_get(viewer=request.user, person_id=pk)
    if not request.user.is_community_staff:
        raise Http404("No such elder.")
    profile = sensitive_profile_for(
        viewer=request.user, person=person, where="elders:care", ip=client_ip(request)
    )
    form = SensitiveProfileForm(request.POST or None, instance=profile if profile.pk else None)
    consent = has_consent(person=person, purpose=ConsentPurpose.HEALTH)
    if request.method == "POST" and form.is_valid():
        try:
            sensitive_profile_update(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Her care details have been saved."))
            return redirect("elders:elder", pk=person.pk)
    return render(
        request, "elders/core/care_form.html", {"elder": person, "form": form, "has_consent": consent}
    )


urlpatterns = [
    path("", index, name="index"),
    path("<int:pk>/", elder, name="elder"),
    path("<int:pk>/profile/", profile_edit, name="profile_edit"),
    path("<int:pk>/risk/", risk_override, name="risk_override"),
    path("<int:pk>/consent/", desk_consent, name="desk_consent"),
    path("<int:pk>/care/", care_edit, name="care_edit"),
]
