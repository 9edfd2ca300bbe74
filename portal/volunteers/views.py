"""Volunteer pages: "my volunteer hours" (ledger, totals, certificate) and the staff's "hours to approve"
(flagged first; approve, reject with a note, approve in bulk).

A user who is not a volunteer sees an explanation, not an error; the staff page is a 404 for anyone
but community staff. Every write is one POST calling one service of ``portal.volunteers.services``.
"""

from __future__ import annotations

from allauth.core.internal import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.ratelimits import retry_after, wait_message

from .certificate import certificate_find, certificate_issue, certificate_pdf
from .forms import CertificateForm, CertificateVerifyForm, RejectForm
from .selectors import (
    hours_approved_of,
    hours_of,
    hours_pending_for,
    hours_pending_get_for,
    may_decide_hours,
    volunteer_of,
)
from .services import hours_approve, hours_approve_many, hours_reject

PENDING_PAGE_LIMIT = 200
#: Look-ups on the public verification page, per client address (allauth's rate limiter, as for the
#: sign-in forms): enough for an employer checking a pile of certificates, far too few to guess codes.
CERTIFICATE_VERIFY_RATE_LIMIT = "20/m/ip,200/d/ip"


@login_required
def my_hours(request):
    volunteer = volunteer_of(user=request.user)
    summary = hours_of(volunteer=volunteer) if volunteer is not None else None
    return render(
        request,
        "volunteers/my_hours.html",
        {"volunteer": volunteer, "summary": summary, "certificate_form": CertificateForm()},
    )


@login_required
def hours_certificate(request):
    volunteer = volunteer_of(user=request.user)
    if volunteer is None:
        raise Http404("Not a volunteer.")
    form = CertificateForm(request.GET or None)
    if request.GET and not form.is_valid():
        summary = hours_of(volunteer=volunteer)
        return render(
            request,
            "volunteers/my_hours.html",
            {"volunteer": volunteer, "summary": summary, "certificate_form": form},
            status=400,
        )
    data = form.cleaned_data if form.is_bound else {}
    date_from, date_to = data.get("date_from"), data.get("date_to")
    entries = list(hours_approved_of(volunteer=volunteer, date_from=date_from, date_to=date_to))
    certificate = certificate_issue(
        volunteer=volunteer, entries=entries, date_from=date_from, date_to=date_to
    )
    pdf = certificate_pdf(
        volunteer=volunteer,
        entries=entries,
        date_from=date_from,
        date_to=date_to,
        certificate=certificate,
        verify_url=request.build_absolute_uri(reverse("volunteers:certificate_verify")),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="volunteer-hours-{timezone.localdate():%Y%m%d}.pdf"'
    )
    return response


def certificate_verify(request):
    """Public (no sign-in): type the 验证码 of a certificate, see what was issued under it (the name as
    printed, the hours, the period, the date issued) or that there is no such certificate."""
    form = CertificateVerifyForm(request.GET or None)
    certificate, status = None, 200
    if form.is_bound and form.is_valid():
        allowed = ratelimit.consume(
            request,
            app="portal.volunteers",
            action="certificate_verify",
            config={
                "certificate_verify": getattr(
                    settings, "CERTIFICATE_VERIFY_RATE_LIMIT", CERTIFICATE_VERIFY_RATE_LIMIT
                )
            },
            limit_get=True,
        )
        if not allowed:
            form.add_error(
                "code",
                _("Too many checks from this address. %(wait)s")
                % {"wait": wait_message(retry_after(request))},
            )
            status = 429
        else:
            certificate = certificate_find(code=form.cleaned_data["code"])
    elif form.is_bound:
        status = 400
    return render(
        request,
        "volunteers/verify.html",
        {"form": form, "certificate": certificate, "searched": form.is_bound and not form.errors},
        status=status,
    )


def _staff_only(user) -> None:
    if not may_decide_hours(user):
        raise Http404("No such page.")


def _pending_page(request, *, bad_form: RejectForm | None = None, status: int = 200):
    entries = list(hours_pending_for(viewer=request.user)[:PENDING_PAGE_LIMIT])
    for e in entries:
        e.reject_form = (
            bad_form if bad_form is not None and bad_form.entry_id == e.pk else RejectForm(entry_id=e.pk)
        )
    return render(request, "volunteers/hours_pending.html", {"entries": entries}, status=status)


@login_required
def hours_pending(request):
    _staff_only(request.user)
    return _pending_page(request)


@login_required
@require_POST
def hours_approve_view(request, entry_id):
    _staff_only(request.user)
    entry = hours_pending_get_for(viewer=request.user, entry_id=entry_id)
    try:
        hours_approve(actor=request.user, entry=entry)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request,
            _("Approved %(hours)s hours of %(name)s.")
            % {"hours": entry.hours, "name": entry.volunteer.person.name},
        )
    return redirect("volunteers:hours_pending")


@login_required
@require_POST
def hours_reject_view(request, entry_id):
    _staff_only(request.user)
    entry = hours_pending_get_for(viewer=request.user, entry_id=entry_id)
    form = RejectForm(request.POST, entry_id=entry.pk)
    if not form.is_valid():
        return _pending_page(request, bad_form=form, status=400)
    try:
        hours_reject(actor=request.user, entry=entry, note=form.cleaned_data["note"])
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            form.add_error(None, exc)
            return _pending_page(request, bad_form=form, status=400)
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Rejected the hours of %(name)s.") % {"name": entry.volunteer.person.name}
        )
    return redirect("volunteers:hours_pending")


@login_required
@require_POST
def hours_approve_bulk_view(request):
    _staff_only(request.user)
    # Only what can be an id ("²" is a digit but no number; 19 digits and more overflow the column).
    ids = [int(i) for i in request.POST.getlist("entry_ids") if i.isdecimal() and len(i) <= 18]
    if not ids:
        messages.error(request, _("Choose the hours to approve."))
        return redirect("volunteers:hours_pending")
    entries = list(hours_pending_for(viewer=request.user).filter(pk__in=ids))
    n = hours_approve_many(actor=request.user, entries=entries)
    messages.success(request, _("Approved %(n)s entries.") % {"n": n})
    return redirect("volunteers:hours_pending")
