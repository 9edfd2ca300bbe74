"""HTTP for staff creating and changing an activity (``events:activity_create``, ``events:activity_edit``).

Community staff and partner-organisation staff may create; whoever manages an activity may change it
(fetched through ``activity_manageable_get``: anything else is a 404). Each page validates the form and
its priority-tier formset, then calls one service (``activity_create`` / ``activity_update``), whose
translated refusals are shown next to the fields; nothing is saved then.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .forms_activity import ActivityForm, tier_formset
from .models import Activity
from .selectors import activity_manageable_get
from .services.activities import activity_create, activity_update, may_create_activity


def _tier_errors(form: ActivityForm, tiers) -> None:
    """A problem in the tiers below is named in the form's error summary too."""
    if not tiers.is_valid():
        form.add_error(None, _("Check the priority tiers: a row has a problem."))


def _render(request, *, form, tiers, activity, status):
    return render(
        request,
        "events/staff/activity_form.html",
        {"form": form, "tiers": tiers, "activity": activity},
        status=status,
    )


@login_required
def activity_create_view(request):
    if not may_create_activity(request.user):
        raise PermissionDenied
    if request.method != "POST":
        form = ActivityForm(actor=request.user, instance=Activity())
        return _render(request, form=form, tiers=tier_formset(), activity=None, status=200)
    form = ActivityForm(request.POST, actor=request.user, instance=Activity())
    tiers = tier_formset(data=request.POST)
    if form.is_valid() and tiers.is_valid():
        try:
            activity = activity_create(
                actor=request.user,
                data=form.service_data(),
                tiers=tiers.tiers(),
                lead_minutes=form.chosen_leads(),
                first_session=form.cleaned_data.get("first_session"),
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            if activity.sessions.exists():
                text = _(
                    "“%(title)s” is created with its first session. Add more sessions below if it has any."
                )
            else:
                text = _("“%(title)s” is created. Now add its sessions below.")
            messages.success(request, text % {"title": activity.title})
            return redirect("events:manage", pk=activity.pk)
    _tier_errors(form, tiers)
    return _render(request, form=form, tiers=tiers, activity=None, status=400)


@login_required
def activity_edit_view(request, pk):
    activity = activity_manageable_get(user=request.user, activity_id=pk)
    if request.method != "POST":
        form = ActivityForm(actor=request.user, instance=activity)
        return _render(
            request, form=form, tiers=tier_formset(activity=activity), activity=activity, status=200
        )
    form = ActivityForm(request.POST, actor=request.user, instance=activity)
    tiers = tier_formset(data=request.POST, activity=activity)
    if form.is_valid() and tiers.is_valid():
        try:
            activity_update(
                actor=request.user,
                activity=activity,
                data=form.service_data(),
                tiers=tiers.tiers(),
                lead_minutes=form.chosen_leads(),
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("The changes to “%(title)s” are saved.") % {"title": activity.title})
            return redirect("events:manage", pk=activity.pk)
    _tier_errors(form, tiers)
    activity.refresh_from_db()  # the page's heading and links show what is saved
    return _render(request, form=form, tiers=tiers, activity=activity, status=400)
