"""HTTP for the registry: residents' family pages, the staff workbench, the privacy notice.

Every object named by an id in the URL comes through a scoped selector (404 when not allowed); every
write goes through one service.
"""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.ratelimits import client_ip
from portal.forms_render import crispy_field
from portal.links import pk_url

from . import selectors, services
from .forms import (
    ClaimDecisionForm,
    ConsentActionForm,
    DependentForm,
    EmergencyContactForm,
    HouseholdClaimForm,
    PeopleSearchForm,
    PersonDetailsForm,
    SensitiveProfileForm,
    apply_service_errors,
)
from .models import SENSITIVE_PURPOSES, ConsentPurpose

PAGE_SIZE = 25


def _ip(request) -> str | None:
    return client_ip(request)


def staff_required(view):
    """Community staff, grid workers and partner staff (each sees only her own scope)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.works_for_community:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# --- residents ------------------------------------------------------------------------------------


@login_required
def my_family(request):
    """Her family page. Reading it writes nothing: a user without a resident record yet (an account made
    by staff; sign-up makes one) is offered the button of :func:`my_record_create`."""
    family = selectors.family_for(user=request.user)
    # One reverse() for each of the links every person shown has, not a {% url %} per person (issue 13).
    links = {
        f"{name}_url": pk_url(f"community:{name}")
        for name in ("person_edit", "consents", "emergency_contacts", "sensitive_edit")
    }
    for p in [*([family.me] if family.me else []), *family.dependents]:
        for attr, url_for in links.items():
            setattr(p, attr, url_for(p.pk))
    return render(request, "community/my_family.html", {"family": family})


@require_POST
@login_required
def my_record_create(request):
    services.person_ensure_for_user(user=request.user)
    messages.success(request, _("Your resident record has been created."))
    return redirect("community:my_family")


@login_required
def claim_household(request):
    form = HouseholdClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_claim_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Your claim has been sent. Staff will check it and let you know."))
            return redirect("community:my_family")
    return render(request, "community/claim_household.html", {"form": form})


@login_required
def dependent_add(request):
    form = DependentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.dependent_add(
                actor=request.user,
                kind=data["kind"],
                name=data["name"],
                birth_date=data["birth_date"],
                gender=data["gender"],
                phone=data["phone"] or "",
                minor_consent=data["minor_consent"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s has been added to your family.") % {"name": person.name})
            return redirect("community:my_family")
    return render(request, "community/dependent_add.html", {"form": form})


@login_required
def person_edit(request, person_id):
    person = selectors.person_actable_get(actor=request.user, person_id=person_id)
    initial = {
        "name": person.name,
        "gender": person.gender,
        "birth_date": person.birth_date,
        "phone": person.phone,
    }
    is_me = person.user_id == request.user.pk
    form = PersonDetailsForm(request.POST or None, initial=initial, for_self=is_me)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_details_update(
                actor=request.user,
                person=person,
                **{**form.cleaned_data, "phone": form.cleaned_data["phone"] or ""},
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The details have been saved."))
            return redirect("community:person_edit", person_id=person.pk)
    return render(
        request,
        "community/person_edit.html",
        {
            "person": person,
            "form": form,
            "consents": selectors.consents_for(person=person),
            "is_me": is_me,
        },
    )


@login_required
def consents(request, person_id):
    person = selectors.person_actable_get(actor=request.user, person_id=person_id)
    if request.method == "POST":
        form = ConsentActionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Please choose a purpose."))
            return redirect("community:consents", person_id=person.pk)
        purpose, action = form.cleaned_data["purpose"], form.cleaned_data["action"]
        label = ConsentPurpose(purpose).label
        try:
            if action == "grant":
                services.consent_grant(actor=request.user, person=person, purpose=purpose)
                messages.success(request, _("Consent given: %(purpose)s.") % {"purpose": label})
            else:
                services.consent_withdraw(actor=request.user, person=person, purpose=purpose)
                messages.success(request, _("Consent withdrawn: %(purpose)s.") % {"purpose": label})
        except ValidationError as exc:
            for msg in exc.messages:
                messages.error(request, msg)
        return redirect("community:consents", person_id=person.pk)
    active = selectors.consents_for(person=person)
    rows = [
        {
            "purpose": p,
            "consent": active.get(p.value),
            "sensitive": p in SENSITIVE_PURPOSES,
            "applies": p != ConsentPurpose.MINOR or person.is_minor,
        }
        for p in ConsentPurpose
    ]
    return render(
        request,
        "community/consents.html",
        {
            "person": person,
            "rows": rows,
            "notice_version": settings.PRIVACY_NOTICE_VERSION,
            "is_me": person.user_id == request.user.pk,
        },
    )


@login_required
def emergency_contacts(request, person_id):
    person = selectors.person_actable_get(actor=request.user, person_id=person_id)
    form = EmergencyContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.emergency_contact_add(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The emergency contact has been added."))
            return redirect("community:emergency_contacts", person_id=person.pk)
    return render(
        request,
        "community/emergency_contacts.html",
        {"person": person, "form": form, "contacts": person.emergency_contacts.order_by("priority", "id")},
    )


@require_POST
@login_required
def emergency_contact_delete(request, person_id, contact_id):
    person = selectors.person_actable_get(actor=request.user, person_id=person_id)
    contact = person.emergency_contacts.filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    services.emergency_contact_remove(actor=request.user, contact=contact)
    messages.success(request, _("The emergency contact has been removed."))
    return redirect("community:emergency_contacts", person_id=person.pk)


@login_required
def sensitive_edit(request, person_id):
    """Her own (or her dependent's) health and care details: viewing is logged like any other view."""
    person = selectors.person_actable_get(actor=request.user, person_id=person_id)
    has_consent = selectors.has_consent(person=person, purpose=ConsentPurpose.HEALTH)
    needs_minor = person.needs_guardian_consent and not selectors.has_consent(
        person=person, purpose=ConsentPurpose.MINOR
    )
    profile = selectors.sensitive_profile_for(
        viewer=request.user, person=person, where="family", ip=_ip(request)
    )
    form = SensitiveProfileForm(request.POST or None, instance=profile if profile.pk else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sensitive_profile_update(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The health details have been saved."))
            return redirect("community:sensitive_edit", person_id=person.pk)
    return render(
        request,
        "community/sensitive_edit.html",
        {
            "person": person,
            "form": form,
            "has_consent": has_consent and not needs_minor,
            "needs_minor": needs_minor,
        },
    )


# --- staff workbench ------------------------------------------------------------------------------


@staff_required
def workbench(request):
    form = PeopleSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    limited = selectors.phone_search_limited(request, q=q) if q else None
    if limited:  # too many searches by phone digits: the reason next to the field, no results
        form.add_error("q", limited)
    page = selectors.people_search_page(
        viewer=request.user, q=q, number=request.GET.get("page"), per_page=PAGE_SIZE, blocked=bool(limited)
    )
    # One reverse() for the page's links, not a {% url %} per row (issue 13).
    detail_url = pk_url("community:workbench_person")
    for p in page:  # in full only for the roles that need it, else the tail: never more than was typed
        p.phone_shown = selectors.phone_shown_to(viewer=request.user, person=p)
        p.detail_url = detail_url(p.pk)
    return render(
        request,
        "community/workbench.html",
        {
            "form": form,
            "search_field": crispy_field(form["q"]),
            "q": q,
            "query": urlencode({"q": q}),
            "page": page,
            "pending_claims": selectors.claims_pending_for(viewer=request.user).count(),
        },
    )


@staff_required
def workbench_person(request, person_id):
    person = selectors.person_get_for(viewer=request.user, person_id=person_id)
    sensitive = None
    may_see = selectors.may_see_sensitive(viewer=request.user, person=person)
    if request.GET.get("sensitive") == "1":
        sensitive = selectors.sensitive_profile_for(
            viewer=request.user, person=person, where="workbench", ip=_ip(request)
        )
    relations, relations_to = selectors.relations_of(person=person)
    return render(
        request,
        "community/workbench_person.html",
        {
            "person": person,
            "sensitive": sensitive,
            "may_see_sensitive": may_see,
            "relations": relations,
            "relations_to": relations_to,
            "contacts": person.emergency_contacts.order_by("priority", "id"),
            "consents": selectors.consents_for(person=person).values(),
        },
    )


@staff_required
def claims(request):
    pending = selectors.claims_pending_for(viewer=request.user)
    page = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "community/claims.html", {"page": page})


@require_POST
@staff_required
def claim_decide(request, claim_id):
    claim = selectors.claim_pending_get_for(viewer=request.user, claim_id=claim_id)
    form = ClaimDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose to confirm or reject."))
        return redirect("community:claims")
    try:
        if form.cleaned_data["decision"] == "confirm":
            services.household_claim_confirm(actor=request.user, claim=claim, note=form.cleaned_data["note"])
            messages.success(request, _("The claim has been confirmed."))
        else:
            services.household_claim_reject(actor=request.user, claim=claim, note=form.cleaned_data["note"])
            messages.success(request, _("The claim has been rejected."))
    except ValidationError as exc:
        for msg in exc.messages:
            messages.error(request, msg)
    return redirect("community:claims")


# --- public ---------------------------------------------------------------------------------------


def privacy_notice(request):
    return render(
        request,
        "community/privacy_notice.html",
        {"notice_version": settings.PRIVACY_NOTICE_VERSION, "purposes": ConsentPurpose},
    )
