"""Views of the visit-and-call roster (关爱走访): my visits and calls, the contact log (from a phone), the
contact plan, the overdue list by grid, and needs (急难愁盼). Elders come through
``elders.selectors.access`` (404 outside the viewer's scope); every write goes through one service."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape as esc
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.forms_render import crispy_fields
from portal.links import pk_url

from ..forms.outreach import (
    NEEDS_MAX,
    ContactLogForm,
    ContactPlanForm,
    NeedFormSet,
    NeedsFilterForm,
    NeedUpdateForm,
    OverdueFilterForm,
    apply_service_errors,
)
from ..models import ContactPlan, NeedStatus
from ..selectors import outreach as sel
from ..selectors.access import elder_get_for
from ..services import outreach as svc

PAGE_SIZE = 50
#: The overdue list: a page of 25 (issue 13: each row costs its rendering; 50 was twice the page).
OVERDUE_PAGE_SIZE = 25
#: My visits and calls: one phone screen's worth of cards per page.
MY_PAGE_SIZE = 25


def elder_url(pk: int) -> str:
    """The elder page (core's), or "" while it does not exist."""
    try:
        return reverse("elders:elder", args=[pk])
    except NoReverseMatch:
        return ""


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _my_contact_cards(rows) -> str:
    """The cards of my visits and calls, the markup the template wrote for each row, built in Python
    (issue 13: the template's lookups, filters and translations for 25 cards cost more than the rest of
    the page). The labels are translated once, and each row's words once for each value they take (the
    same due date, age or frequency on many cards); every value is escaped."""
    l_address, l_last, l_none = esc(_("Address")), esc(_("Last contact")), esc(_("None yet"))
    l_by, l_log, l_call = esc(_("Usually by")), esc(_("Log a contact")), esc(_("Call"))
    out = []
    ages, dues, facts = {}, {}, {}
    for row in rows:
        plan, elder = row.plan, row.elder
        name = esc(elder.name)
        if row.overdue:
            border, badge = " border-danger", '<span class="badge text-bg-danger">'
        elif row.due:
            border, badge = " border-warning", '<span class="badge text-bg-warning">'
        else:
            border, badge = "", '<span class="badge text-bg-light border">'
        age = ages.get(elder.birth_date)
        if age is None:
            age = ages[elder.birth_date] = row.age_words
        due_words = dues.get(row.days_late)
        if due_words is None:
            due_words = dues[row.days_late] = esc(row.due_words)
        key = (plan.method, plan.every_days)
        by = facts.get(key)
        if by is None:
            by = facts[key] = f"{esc(plan.get_method_display())} · {esc(row.every_words)}"
        unreached = plan.unreached_in_row
        address = f"<dt>{l_address}</dt><dd>{esc(row.address)}</dd>" if elder.household_id else ""
        if plan.last_contact_at:
            at = timezone.localtime(plan.last_contact_at)
            last = f'<time datetime="{esc(dateformat.format(at, "c"))}">{esc(dateformat.format(at, "Y-m-d H:i"))}</time>'
        else:
            last = l_none
        phone = (
            f'<a class="btn btn-outline-success" href="tel:{esc(elder.phone)}"><i class="bi bi-telephone"'
            f' aria-hidden="true"></i> {l_call}<span class="visually-hidden"> {name}</span></a>'
            if elder.phone
            else ""
        )
        out.append(
            f'<li class="card mb-2{border}" data-plan="{plan.pk}">\n<div class="card-body">\n'
            f'<h2 class="h5 card-title mb-1">{name}'
            + (f' <span class="fw-normal">· {esc(age)}</span>' if age else "")
            + f'</h2>\n<p class="mb-1">{badge}{due_words}</span>\n'
            + (
                '<span class="badge text-bg-secondary">'
                + esc(
                    ngettext("Not reached %(n)s time in a row", "Not reached %(n)s times in a row", unreached)
                    % {"n": unreached}
                )
                + "</span>"
                if unreached
                else ""
            )
            + f'\n</p>\n<dl class="outreach-facts mb-2">\n{address}\n<dt>{l_last}</dt>\n<dd>{last}</dd>\n'
            f"<dt>{l_by}</dt><dd>{by}</dd>\n</dl>\n"
            f'<div class="d-flex flex-wrap gap-2">\n<a class="btn btn-brand" href="{esc(row.url)}">{l_log}'
            f'<span class="visually-hidden"> {name}</span></a>\n{phone}\n</div>\n</div>\n</li>\n'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def _overdue_rows_html(rows) -> str:
    """The rows of the overdue list's table, the markup the template wrote for each row, built in Python
    (issue 13), the cell labels translated once; every value escaped."""
    l_elder, l_grid, l_due = esc(_("Elder")), esc(_("Grid")), esc(_("Due since"))
    l_late, l_who, l_last = esc(_("Days overdue")), esc(_("Person responsible")), esc(_("Last contact"))
    l_unreached, l_nobody, l_none = esc(_("Not reached in a row")), esc(_("Nobody")), esc(_("None yet"))
    out = []
    names = {}  # each person responsible's name once (a phone number formatted is dear)
    for row in rows:
        plan = row.plan
        due = esc(row.due_text)
        if plan.assigned_to_id:
            who = names.get(plan.assigned_to_id)
            if who is None:
                who = names[plan.assigned_to_id] = esc(row.assignee_name)
        else:
            who = f'<span class="text-danger">{l_nobody}</span>'

        if plan.last_contact_at:
            last = esc(dateformat.format(timezone.localtime(plan.last_contact_at), "Y-m-d"))
        else:
            last = l_none
        n = plan.unreached_in_row
        unreached = f'<span class="badge text-bg-danger">{n}</span>' if n >= 2 else str(n)
        out.append(
            f'<tr data-plan="{plan.pk}">\n'
            f'<th scope="row" data-label="{l_elder}" class="fw-semibold"><a href="{esc(row.url)}">'
            f"{esc(row.elder.name)}</a></th>\n"
            f'<td data-label="{l_grid}">{esc(row.grid_name)}</td>\n'
            f'<td data-label="{l_due}"><time datetime="{due}">{due}</time></td>\n'
            f'<td data-label="{l_late}" data-testid="days-overdue">{row.days_late}</td>\n'
            f'<td data-label="{l_who}">{who}</td>\n'
            f'<td data-label="{l_last}">{last}</td>\n'
            f'<td data-label="{l_unreached}">{unreached}</td>\n</tr>\n'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@login_required
def my_contacts(request):
    """我的走访: the elders she is responsible for, due and overdue first, each with a button to log."""
    today = timezone.localdate()
    page, counts = sel.responsible_page(
        viewer=request.user, number=request.GET.get("page"), per_page=MY_PAGE_SIZE, today=today
    )
    rows = page.object_list
    log_url = pk_url("elders:contact_log")
    for row in rows:
        row.url = log_url(row.elder.pk)
    return render(
        request,
        "elders/outreach/my_contacts.html",
        {
            "rows": rows,
            "cards": _my_contact_cards(rows),
            "page": page,
            "counts": counts,
            "due_count": counts["due"],
            "today": today,
            "may_see_overdue": sel.may_see_overdue(viewer=request.user),
        },
    )


def _need_rows_from(data) -> list[dict]:
    """The needs rows already typed (for "add another need": shown again, one more row below)."""
    rows = []
    for i in range(NEEDS_MAX):
        category = data.get(f"needs-{i}-category", "")
        description = data.get(f"needs-{i}-description", "")
        if category or description:
            rows.append({"category": category[:40], "description": description[:500]})
    return rows[: NEEDS_MAX - 1]


@login_required
def contact_log(request, pk):
    """Log a visit or call for an elder, and raise her needs on the way (a phone-sized form)."""
    elder = elder_get_for(viewer=request.user, person_id=pk)
    plan = ContactPlan.objects.filter(elder=elder).select_related("assigned_to").first()
    if not svc.may_log_contact(viewer=request.user, elder=elder, plan=plan):
        raise Http404("Not yours to log.")
    staff = svc.may_manage_plan(viewer=request.user, elder=elder)
    method = plan.method if plan is not None else None
    if request.method == "POST" and "add_need" in request.POST:
        initial = {
            k: request.POST.get(k, "") for k in ("method", "reached", "wellbeing", "notes", "contacted_at")
        }
        form = ContactLogForm(initial={k: v for k, v in initial.items() if v}, staff=staff, method=method)
        needs = NeedFormSet(prefix="needs", initial=_need_rows_from(request.POST))
    elif request.method == "POST":
        form = ContactLogForm(request.POST, staff=staff, method=method)
        needs = NeedFormSet(request.POST, prefix="needs")
        if form.is_valid() and needs.is_valid():
            data = form.cleaned_data
            raised = [(f.cleaned_data["category"], f.cleaned_data["description"]) for f in needs if f.is_used]
            try:
                log = svc.contact_log_create(
                    actor=request.user,
                    elder=elder,
                    method=data["method"],
                    reached=data["reached"],
                    wellbeing=data.get("wellbeing") or "",
                    notes=data.get("notes") or "",
                    contacted_at=data["contacted_at"],
                    needs=raised,
                    on_behalf=bool(data.get("on_behalf")),
                )
            except PermissionDenied:
                raise Http404("Not yours to log.") from None
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                text = _("Contact with %(name)s logged.") % {"name": elder.name}
                if log.needs_raised:
                    n = len(log.needs_raised)
                    text += " " + ngettext("%(n)d need raised.", "%(n)d needs raised.", n) % {"n": n}
                messages.success(request, text)
                if log.by_id == request.user.pk and not staff:
                    return redirect("elders:my_contacts")
                return redirect(elder_url(elder.pk) or reverse("elders:overdue"))
    else:
        form = ContactLogForm(staff=staff, method=method)
        needs = NeedFormSet(prefix="needs")
    return render(
        request,
        "elders/outreach/contact_log.html",
        {
            "elder": elder,
            "plan": plan,
            "form": form,
            "needs": needs,
            "can_add_need": needs.total_form_count() < NEEDS_MAX,
            "back_url": elder_url(elder.pk) if staff else reverse("elders:my_contacts"),
        },
    )


@login_required
def contact_plan_edit(request, pk):
    """Staff (or her grid worker) set how often, how and by whom she is contacted."""
    elder = elder_get_for(viewer=request.user, person_id=pk)
    if not svc.may_manage_plan(viewer=request.user, elder=elder):
        raise Http404("Not yours to plan.")
    plan = svc.contact_plan_for(elder=elder)
    if plan is None:
        raise Http404("She is not an elder.")
    initial = {"follow_risk": not plan.custom, "every_days": plan.every_days, "method": plan.method}
    form = ContactPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            svc.contact_plan_update(
                actor=request.user,
                plan=plan,
                follow_risk=data["follow_risk"],
                every_days=data.get("every_days"),
                method=data["method"],
                responsible_phone=(data.get("responsible_phone") or "").strip(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The contact plan of %(name)s is saved.") % {"name": elder.name})
            return redirect(elder_url(elder.pk) or reverse("elders:overdue"))
    return render(
        request,
        "elders/outreach/contact_plan.html",
        {
            "elder": elder,
            "plan": plan,
            "form": form,
            "back_url": elder_url(elder.pk) or reverse("elders:overdue"),
        },
    )


@login_required
def overdue(request):
    """逾期未走访: staff by grid (filter, counts per grid); a grid worker her grid only."""
    if not sel.may_see_overdue(viewer=request.user):
        raise PermissionDenied
    today = timezone.localdate()
    staff = request.user.is_community_staff
    form = OverdueFilterForm(request.GET or None)
    grid = form.cleaned_data.get("grid") if staff and form.is_valid() else None
    if not staff:
        del form.fields["grid"]
    # The counts by grid and the page's plans with what a row shows, in one query (the list's length is
    # in the counts already).
    counts, page = sel.overdue_page(
        viewer=request.user,
        number=request.GET.get("page"),
        per_page=OVERDUE_PAGE_SIZE,
        today=today,
        grid=grid,
    )
    rows = sel.roster_rows(page.object_list, today=today)
    page.object_list = rows
    log_url = pk_url("elders:contact_log")
    for row in rows:
        row.url = log_url(row.elder.pk)
    return render(
        request,
        "elders/outreach/overdue.html",
        {
            "form": form,
            "fields": crispy_fields(form) if staff else {},
            "staff": staff,
            "grid": grid,
            "page": page,
            "rows": rows,
            "rows_html": _overdue_rows_html(rows),
            "counts": counts,
            "total": sum(c["overdue"] for c in counts),
            "today": today,
            "query": urlencode({"grid": grid.pk}) if grid is not None else "",
            "grace_days": svc.GRACE_DAYS,
        },
    )


@login_required
def needs(request):
    """急难愁盼: staff every need (filters), a grid worker her grid's, anyone else those she owns."""
    staff = request.user.is_community_staff
    form = NeedsFilterForm(request.GET or None, staff=staff)
    qs = sel.needs_visible_to(viewer=request.user)
    status, grid = "", None
    if form.is_valid():
        status = form.cleaned_data.get("status") or ""
        grid = form.cleaned_data.get("grid")
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.exclude(status=NeedStatus.CLOSED)
    if grid is not None:
        qs = qs.filter(elder__household__building__grid=grid)
    query = {k: v for k, v in (("status", status), ("grid", grid.pk if grid else "")) if v}
    page = _page(request, qs.order_by("status", "-created_at", "-pk"))
    return render(
        request,
        "elders/outreach/needs.html",
        {"form": form, "page": page, "query": urlencode(query), "staff": staff},
    )


@login_required
def need_detail(request, pk):
    """One need: what, whose, where it stands; its owner (or staff, her grid worker) moves it on."""
    need = sel.need_get_for(viewer=request.user, need_id=pk)
    may_update = svc.may_update_need(viewer=request.user, need=need)
    may_reassign = svc.may_manage_plan(viewer=request.user, elder=need.elder)
    form = None
    if may_update:
        form = NeedUpdateForm(
            request.POST or None,
            initial={"status": need.status, "resolution": need.resolution},
            may_reassign=may_reassign,
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                svc.need_update(
                    actor=request.user,
                    need=need,
                    status=data["status"],
                    resolution=data.get("resolution") or "",
                    owner_phone=(data.get("owner_phone") or "").strip(),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The need is updated."))
                return redirect("elders:need", pk=need.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "elders/outreach/need.html",
        {"need": need, "form": form, "elder_url": elder_url(need.elder_id)},
    )


urlpatterns = [
    path("my/contacts/", my_contacts, name="my_contacts"),
    path("<int:pk>/contact/", contact_log, name="contact_log"),
    path("<int:pk>/contact-plan/", contact_plan_edit, name="contact_plan_edit"),
    path("overdue/", overdue, name="overdue"),
    path("needs/", needs, name="needs"),
    path("needs/<int:pk>/", need_detail, name="need"),
]
