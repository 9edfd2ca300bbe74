"""HTTP of the partners piece: the service catalogue, service plans, the delivery round (a phone page for
partner staff), one delivery, the flagged plans and the monthly ledger.

Every object named in the URL comes through a scoped selector (404 for what the viewer may not see);
every write is one service call whose refusals are shown next to the fields.
"""

from __future__ import annotations

import datetime
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from elders.forms.partners import (
    DeliveryForm,
    LedgerForm,
    PlanEndForm,
    PlanForm,
    PlansFilterForm,
    RoundForm,
    ServiceForm,
    apply_service_errors,
)
from elders.models import Service
from elders.selectors import partners as sel
from elders.selectors.access import elder_get_for
from elders.services import partners as svc
from portal.accounts.middleware import shows_personal_data
from portal.exports import csv_response, xlsx_response

PLANS_PAGE_SIZE = 30


def _allowed(test, doc: str):
    """Signed in, a page with personal data (staff need two-factor sign-in), and ``test(user)``: else 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return shows_personal_data(wrapper)

    decorator.__doc__ = doc
    return decorator


_managers_only = _allowed(svc.may_manage_partner_services, "Community staff: the catalogue and the plans.")
_partner_pages = _allowed(
    sel.may_see_partner_pages, "Community staff, partner staff and grid workers (each within her scope)."
)
_loggers_only = _allowed(svc.may_log_deliveries, "Partner staff who log deliveries.")


def _elder_page(elder) -> str:
    """The elder page (core piece), where her plans and deliveries are listed."""
    return reverse("elders:elder", args=[elder.pk])


# --- the catalogue ---------------------------------------------------------------------------------------


@_managers_only
def services_view(request):
    services = list(Service.objects.order_by("-is_active", "order", "name"))
    return render(request, "elders/partners/services.html", {"services": services})


@_managers_only
def service_add_view(request):
    form = ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service = svc.service_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” is added to the catalogue.") % {"name": service.name})
            return redirect("elders:services")
    return render(
        request,
        "elders/partners/service_form.html",
        {"form": form, "service": None},
        status=400 if form.is_bound else 200,
    )


@_managers_only
def service_edit_view(request, pk):
    service = get_object_or_404(Service, pk=pk)
    if request.method == "POST":
        form = ServiceForm(request.POST)
        if form.is_valid():
            try:
                svc.service_update(actor=request.user, service=service, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The changes are saved."))
                return redirect("elders:services")
        return render(
            request, "elders/partners/service_form.html", {"form": form, "service": service}, status=400
        )
    form = ServiceForm(
        initial={"name": service.name, "description": service.description, "order": service.order}
    )
    return render(request, "elders/partners/service_form.html", {"form": form, "service": service})


@require_POST
@_managers_only
def service_toggle_view(request, pk):
    service = get_object_or_404(Service, pk=pk)
    active = request.POST.get("active") == "1"
    service = svc.service_set_active(actor=request.user, service=service, active=active)
    if service.is_active:
        messages.success(request, _("“%(name)s” is offered again.") % {"name": service.name})
    else:
        messages.success(
            request,
            _("“%(name)s” is no longer offered: new plans cannot name it; running plans go on.")
            % {"name": service.name},
        )
    return redirect("elders:services")


# --- plans -----------------------------------------------------------------------------------------------


@_partner_pages
def plans_view(request):
    viewer = request.user
    form = PlansFilterForm(request.GET or None, viewer=viewer)
    chosen = form.chosen() if form.is_bound else {"organization": None, "service": None, "state": ""}
    if viewer.is_partner_staff:
        chosen["organization"] = None
    qs = sel.plans_list(viewer=viewer, **chosen)
    page = Paginator(qs, PLANS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(
        {
            k: v
            for k, v in {
                "organization": chosen["organization"].pk if chosen["organization"] else "",
                "service": chosen["service"].pk if chosen["service"] else "",
                "state": chosen["state"],
            }.items()
            if v
        }
    )
    today = timezone.localdate()
    plans = list(page.object_list)
    for plan in plans:
        plan.running = plan.starts_on <= today and (plan.ends_on is None or plan.ends_on >= today)
    return render(
        request,
        "elders/partners/plans.html",
        {
            "form": form,
            "page": page,
            "plans": plans,
            "query": query,
            "may_manage": svc.may_manage_partner_services(viewer),
            "may_log": svc.may_log_deliveries(viewer),
        },
    )


@_managers_only
def plan_add_view(request, person_id):
    elder = elder_get_for(viewer=request.user, person_id=person_id)
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = svc.plan_create(actor=request.user, elder=elder, **form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The plan is saved: %(service)s for %(elder)s by %(organization)s.")
                % {"service": plan.service.name, "elder": elder.name, "organization": plan.organization.name},
            )
            return redirect(_elder_page(elder))
    return render(
        request,
        "elders/partners/plan_form.html",
        {"form": form, "elder": elder, "plan": None, "back": _elder_page(elder)},
        status=400 if form.is_bound else 200,
    )


@_managers_only
def plan_edit_view(request, pk):
    plan = sel.plan_get_for(viewer=request.user, plan_id=pk)
    if request.method == "POST":
        form = PlanForm(request.POST, plan=plan)
        if form.is_valid():
            try:
                svc.plan_update(actor=request.user, plan=plan, **form.service_data())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The changes to the plan are saved."))
                return redirect(_elder_page(plan.elder))
        plan.refresh_from_db()
        status = 400
    else:
        form = PlanForm(
            plan=plan,
            initial={
                "service": plan.service_id,
                "organization": plan.organization_id,
                "times": plan.times,
                "period": plan.period,
                "starts_on": plan.starts_on,
                "ends_on": plan.ends_on,
                "notes": plan.notes,
            },
        )
        status = 200
    return render(
        request,
        "elders/partners/plan_form.html",
        {"form": form, "elder": plan.elder, "plan": plan, "back": _elder_page(plan.elder)},
        status=status,
    )


@_managers_only
def plan_end_view(request, pk):
    plan = sel.plan_get_for(viewer=request.user, plan_id=pk)
    form = PlanEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.plan_end(actor=request.user, plan=plan, ends_on=form.cleaned_data["ends_on"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The plan ends on %(day)s.") % {"day": form.cleaned_data["ends_on"].isoformat()},
            )
            return redirect(_elder_page(plan.elder))
    return render(
        request,
        "elders/partners/plan_end.html",
        {"form": form, "plan": plan, "back": _elder_page(plan.elder)},
        status=400 if form.is_bound else 200,
    )


@_partner_pages
def flagged_view(request):
    qs = sel.flagged_plans_for(viewer=request.user)
    page = Paginator(qs, PLANS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "elders/partners/flagged.html",
        {
            "page": page,
            "plans": list(page.object_list),
            "may_manage": svc.may_manage_partner_services(request.user),
        },
    )


# --- deliveries ------------------------------------------------------------------------------------------


@_partner_pages
def round_view(request):
    """今日送餐/服务: the plans of her organisation due today, ticked and logged in one submit. Community
    staff and grid workers have no round of their own: they land on the running plans (staff log a
    delivery there, one at a time, at the desk)."""
    viewer = request.user
    if not viewer.is_partner_staff:
        return redirect(f"{reverse('elders:plans')}?state=running")
    services = list(sel.services_in_round(viewer=viewer))
    service = None
    raw_service = request.GET.get("service", "")
    if raw_service.isascii() and raw_service.isdigit() and len(raw_service) < 12:
        service = next((s for s in services if s.pk == int(raw_service)), None)
    if request.method == "POST":
        form = RoundForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                written = svc.delivery_round_log(
                    actor=viewer,
                    plan_ids=data["plans"],
                    when=form.when(),
                    what=data["what"],
                    notes=data["notes"],
                    round_key=data["round_key"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if written:
                    messages.success(
                        request,
                        ngettext("%(n)d delivery is logged.", "%(n)d deliveries are logged.", len(written))
                        % {"n": len(written)},
                    )
                else:
                    messages.info(request, _("This round was already logged: nothing was logged twice."))
                target = reverse("elders:delivery_round")
                return redirect(f"{target}?service={service.pk}" if service else target)
        status = 400
        ticked = {
            int(v) for v in request.POST.getlist("plans") if v.isascii() and v.isdigit() and len(v) < 12
        }
    else:
        form = RoundForm()
        status = 200
        ticked = set()
    plans = sel.round_plans_for(viewer=viewer, service=service)
    for plan in plans:
        plan.ticked = plan.pk in ticked
    return render(
        request,
        "elders/partners/round.html",
        {
            "form": form,
            "plans": plans,
            "due_count": sum(1 for p in plans if p.due),
            "services": services,
            "service": service,
            "today": timezone.localdate(),
        },
        status=status,
    )


@_loggers_only
def delivery_add_view(request, plan_id):
    plan = sel.plan_loggable_get(viewer=request.user, plan_id=plan_id)
    form = DeliveryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            delivery = svc.delivery_log(
                actor=request.user,
                plan=plan,
                when=form.when(),
                what=data["what"],
                notes=data["notes"],
                round_key=data["round_key"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if delivery is None:
                messages.info(request, _("This delivery was already logged: nothing was logged twice."))
            else:
                messages.success(
                    request,
                    _("Logged: %(service)s for %(elder)s.")
                    % {"service": plan.service.name, "elder": plan.elder.name},
                )
            if request.user.is_partner_staff:
                return redirect("elders:delivery_round")
            return redirect(_elder_page(plan.elder))
    return render(
        request,
        "elders/partners/delivery_form.html",
        {"form": form, "plan": plan},
        status=400 if form.is_bound else 200,
    )


# --- the ledger ------------------------------------------------------------------------------------------


def _month_end(first: datetime.date) -> datetime.date:
    return svc.period_bounds("month", first)[1]


@_partner_pages
def ledger_view(request):
    viewer = request.user
    form = LedgerForm(request.GET or None)
    this_month = timezone.localdate().replace(day=1)
    month, fmt = this_month, ""
    if form.is_bound and form.is_valid():
        month = form.cleaned_data["month"] or this_month
        fmt = form.cleaned_data["format"] or ""
    end = _month_end(month)
    rows = sel.ledger_rows(viewer=viewer, start=month, end=end)
    if fmt in ("csv", "xlsx"):
        header = [_("Month"), _("Service"), _("Organisation"), _("Person-times"), _("Elders served")]
        lines = (
            [month.strftime("%Y-%m"), r["service__name"], r["organization__name"], r["times"], r["elders"]]
            for r in rows
        )
        stem = _("Elder services ledger %(month)s") % {"month": month.strftime("%Y-%m")}
        ascii_stem = f"elder-services-{month:%Y-%m}"
        if fmt == "csv":
            return csv_response(f"{stem}.csv", header, lines, ascii_filename=f"{ascii_stem}.csv")
        return xlsx_response(
            f"{stem}.xlsx",
            header,
            lines,
            ascii_filename=f"{ascii_stem}.xlsx",
            sheet_title=month.strftime("%Y-%m"),
        )
    totals = sel.ledger_totals(viewer=viewer, start=month, end=end)
    previous = (month - datetime.timedelta(days=1)).replace(day=1)
    following = end + datetime.timedelta(days=1)
    return render(
        request,
        "elders/partners/ledger.html",
        {
            "form": form,
            "month": month,
            "rows": rows,
            "totals": totals,
            "previous": previous if previous.year >= 1900 else None,
            "following": following if following <= this_month and following.year <= 2100 else None,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


urlpatterns = [
    path("services/", services_view, name="services"),
    path("services/new/", service_add_view, name="service_add"),
    path("services/<int:pk>/edit/", service_edit_view, name="service_edit"),
    path("services/<int:pk>/active/", service_toggle_view, name="service_toggle"),
    path("plans/", plans_view, name="plans"),
    path("plans/flagged/", flagged_view, name="plans_flagged"),
    path("plans/<int:pk>/edit/", plan_edit_view, name="plan_edit"),
    path("plans/<int:pk>/end/", plan_end_view, name="plan_end"),
    path("<int:person_id>/plans/new/", plan_add_view, name="plan_add"),
    path("round/", round_view, name="delivery_round"),
    path("plans/<int:plan_id>/deliveries/new/", delivery_add_view, name="delivery_add"),
    path("ledger/", ledger_view, name="ledger"),
]
