"""Children and guardians (HTTP): a guardian's children (``youth:children``), adding a child, her page with
health notes, emergency contacts and authorised pickup persons, the pickup photo (access-checked), and the
staff view of a child whose programme she runs. Every child comes through youth.selectors.access (404 for
anyone else's); every write is one service call whose refusal is shown next to its field."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.accounts.middleware import shows_personal_data
from portal.accounts.ratelimits import client_ip
from portal.community.forms import apply_service_errors
from portal.community.models import ConsentPurpose
from portal.community.selectors import has_consent

from ..forms.children import ChildAddForm, ChildContactForm, ChildEditForm, ChildHealthForm, PickupAddForm
from ..models import ChildProfile
from ..selectors import children as selectors
from ..selectors.access import child_get_for_guardian, child_get_for_staff
from ..services import children as services


def staff_page(view):
    """Signed in; a page with a child's personal data (staff need two-factor sign-in)."""
    return login_required(shows_personal_data(view))


@login_required
@require_http_methods(["GET"])
def children(request):
    rows = selectors.children_rows(user=request.user)
    return render(request, "youth/children/list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def child_add(request):
    form = ChildAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            child = services.child_add(actor=request.user, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s has been added.") % {"name": child.name})
            return redirect("youth:child", child.pk)
    return render(request, "youth/children/add.html", {"form": form})


def _child_page(request, child, *, health_form=None, contact_form=None, status=200):
    page = selectors.child_page_for_guardian(user=request.user, child=child, ip=client_ip(request))
    if health_form is None:
        sp = page.sensitive
        health_form = ChildHealthForm(
            initial={
                "allergies": sp.allergies,
                "medications": sp.medications,
                "health_conditions": sp.health_conditions,
            },
            consent_given=page.health_consent,
        )
    return render(
        request,
        "youth/children/detail.html",
        {
            "page": page,
            "child": child,
            "health_form": health_form,
            "contact_form": contact_form or ChildContactForm(),
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def child(request, pk):
    return _child_page(request, child_get_for_guardian(user=request.user, child_id=pk))


@login_required
@require_http_methods(["GET", "POST"])
def child_edit(request, pk):
    child = child_get_for_guardian(user=request.user, child_id=pk)
    profile = ChildProfile.objects.filter(person=child).first()
    initial = {"name": child.name, "gender": child.gender, "birth_date": child.birth_date}
    if profile:
        initial.update(school=profile.school_id, school_name=profile.school_name, grade=profile.grade)
    form = ChildEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.child_details_update(actor=request.user, child=child, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("youth:child", child.pk)
    return render(request, "youth/children/edit.html", {"form": form, "child": child})


@login_required
@require_http_methods(["GET", "POST"])
def child_health(request, pk):
    child = child_get_for_guardian(user=request.user, child_id=pk)
    if request.method == "GET":
        return redirect(reverse("youth:child", args=[child.pk]) + "#health")
    consent_given = has_consent(person=child, purpose=ConsentPurpose.HEALTH)
    form = ChildHealthForm(request.POST, consent_given=consent_given)
    if form.is_valid():
        try:
            services.child_health_update(actor=request.user, child=child, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The health notes have been saved."))
            return redirect("youth:child", child.pk)
    return _child_page(request, child, health_form=form, status=400)


@login_required
@require_POST
def child_contact_add(request, pk):
    child = child_get_for_guardian(user=request.user, child_id=pk)
    form = ChildContactForm(request.POST)
    if form.is_valid():
        try:
            services.child_contact_add(actor=request.user, child=child, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The emergency contact has been added."))
            return redirect("youth:child", child.pk)
    return _child_page(request, child, contact_form=form, status=400)


@login_required
@require_POST
def child_contact_remove(request, pk, contact_id):
    child = child_get_for_guardian(user=request.user, child_id=pk)
    contact = selectors.contact_get_for_guardian(user=request.user, child=child, contact_id=contact_id)
    services.child_contact_remove(actor=request.user, contact=contact)
    messages.success(request, _("The emergency contact has been removed."))
    return redirect("youth:child", child.pk)


@login_required
@require_http_methods(["GET", "POST"])
def pickup_add(request, pk):
    child = child_get_for_guardian(user=request.user, child_id=pk)
    form = PickupAddForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        only_on = timezone.localdate() if data["validity"] == PickupAddForm.TODAY else None
        try:
            person = services.pickup_person_add(
                actor=request.user,
                child=child,
                name=data["name"],
                relation=data["relation"],
                phone=data["phone"],
                photo=data.get("photo"),
                only_on=only_on,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if only_on:
                text = _("%(name)s may collect %(child)s today only.")
            else:
                text = _("%(name)s may collect %(child)s.")
            messages.success(request, text % {"name": person.name, "child": child.name})
            return redirect("youth:child", child.pk)
    return render(request, "youth/children/pickup_add.html", {"form": form, "child": child})


@login_required
@require_POST
def pickup_revoke(request, pk):
    pickup = selectors.pickup_get_for_guardian(user=request.user, pickup_id=pk)
    services.pickup_person_revoke(actor=request.user, pickup=pickup)
    messages.success(
        request,
        _("%(name)s may no longer collect %(child)s.") % {"name": pickup.name, "child": pickup.child.name},
    )
    return redirect("youth:child", pickup.child_id)


@login_required
@require_http_methods(["GET"])
def pickup_photo(request, pk):
    pickup = selectors.photo_pickup_get(user=request.user, pickup_id=pk)
    try:
        handle = pickup.photo.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_page
@require_http_methods(["GET"])
def staff_child(request, pk):
    child = child_get_for_staff(user=request.user, child_id=pk)
    page = selectors.child_page_for_staff(viewer=request.user, child=child, ip=client_ip(request))
    return render(request, "youth/children/staff_child.html", {"page": page, "child": child})


urlpatterns = [
    path("children/", children, name="children"),
    path("children/add/", child_add, name="child_add"),
    path("children/<int:pk>/", child, name="child"),
    path("children/<int:pk>/edit/", child_edit, name="child_edit"),
    path("children/<int:pk>/health/", child_health, name="child_health"),
    path("children/<int:pk>/contacts/", child_contact_add, name="child_contact_add"),
    path(
        "children/<int:pk>/contacts/<int:contact_id>/remove/",
        child_contact_remove,
        name="child_contact_remove",
    ),
    path("children/<int:pk>/pickup/add/", pickup_add, name="pickup_add"),
    path("pickup-persons/<int:pk>/revoke/", pickup_revoke, name="pickup_revoke"),
    path("pickup-persons/<int:pk>/photo/", pickup_photo, name="pickup_photo"),
    path("staff/children/<int:pk>/", staff_child, name="staff_child"),
]
