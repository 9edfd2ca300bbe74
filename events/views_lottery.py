"""The lottery pages: staff draw the lottery of a pool once; the result is public and re-runnable.

* ``lottery_draw_page`` (staff who manage the activity; 404 for anyone else): the applications by
  priority tier, the seed commitment published before applications opened, a refusal with its reason
  (before applications close, or with no trustworthy commitment), and a confirmation box. There is no
  seed to type: the draw uses the committed seed (a posted ``seed`` is ignored). It calls ``events.services.lottery_draw`` once: a second draw (or a double
  tap) is refused by the service under the pool's lock and leads to the published result, unchanged.
* ``lottery_result`` (anyone, no sign-in, for a published activity): the revealed seed, its SHA-256
  and the commitment published before applications opened (with the check), the places, the entries
  as booking numbers with their tier and size (never names or phones), the draw order, who got a
  place, the exact algorithm and the inputs as JSON (``lottery_result_json``) with a stand-alone script
  (``lottery_verify_script``, the file ``events/lottery_verify.py``) to re-run it.
* ``lottery_entry``: from a resident's booking to its line in the published result.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from . import lottery_verify
from .models import Activity, LotteryDraw, RegistrationStatus, Session
from .selectors import activities_visible_to, activity_manageable_get, booking_get_for, family_bookings
from .services import lottery_draw
from .services._pool import pool_for
from .services.lottery import _tier_of, commitment_trusted, lottery_commitment_for


class DrawForm(forms.Form):
    """Only a confirmation: the seed is the one committed before applications opened, never typed."""

    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I have checked the applications. Draw now: the result is final and is published."
        ),
        required=True,
        error_messages={"required": gettext_lazy("Tick the box to confirm the draw.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "draw-form"
        # The server's translated error next to the box, rather than the browser's own bubble.
        self.helper.attrs = {"novalidate": ""}
        self.helper.add_input(Submit("draw", gettext_lazy("Draw the lottery"), css_class="btn-brand btn-lg"))

    def apply_service_errors(self, exc: ValidationError) -> None:
        errors = exc.error_list if hasattr(exc, "error_list") else [ValidationError(m) for m in exc.messages]
        for error in errors:
            self.add_error(None, error)


# --- reads for these pages ------------------------------------------------------------------------


def tier_labels(activity: Activity) -> dict[int, str]:
    """Each priority tier's rank in words, and the rank of entries in no tier ("no priority")."""
    tiers = list(activity.priority_tiers.select_related("group").order_by("rank"))
    labels = {}
    for t in tiers:
        who = t.group.name if t.group_id else _("residents of this community")
        labels[t.rank] = _("Priority %(rank)s: %(who)s") % {"rank": t.rank, "who": who}
    labels[(tiers[-1].rank + 1) if tiers else 1] = _("No priority") if tiers else _("Everyone")
    return labels


def applications_by_tier(*, activity: Activity, session: Session | None) -> list[dict]:
    """The applications waiting for the draw of a pool, grouped into tiers the way the draw will.

    [{"rank", "label", "entries": [{"id", "names", "size"}], "persons"}], best tier first. A fixed number
    of queries: the applications, the tiers, one per tier with a group."""
    pool = pool_for(activity=activity, session=session)
    regs = list(
        pool.registrations()
        .filter(status=RegistrationStatus.APPLIED)
        .select_related("person")
        .order_by("booking_id", "id")
    )
    by_booking: dict[int, list] = {}
    for reg in regs:
        by_booking.setdefault(reg.booking_id, []).append(reg)
    tiers = list(activity.priority_tiers.order_by("rank"))
    for tier in tiers:
        tier.member_ids = set(tier.group.members.values_list("pk", flat=True)) if tier.group_id else set()
    default = (tiers[-1].rank + 1) if tiers else 1
    labels = tier_labels(activity)
    groups: dict[int, dict] = {}
    for booking_id, booking_regs in by_booking.items():
        rank = _tier_of(regs=booking_regs, tiers=tiers, default=default)
        group = groups.setdefault(
            rank, {"rank": rank, "label": labels.get(rank, rank), "entries": [], "persons": 0}
        )
        group["entries"].append(
            {
                "id": booking_id,
                "names": "、".join(r.person.name for r in booking_regs),
                "size": 1 if activity.counts_families else len(booking_regs),
            }
        )
        group["persons"] += len(booking_regs)
    return [groups[rank] for rank in sorted(groups)]


def _session_choice(activity: Activity, session_id) -> Session | None:
    if activity.is_course or not session_id:
        return None
    try:
        return activity.sessions.get(pk=session_id)
    except (Session.DoesNotExist, ValueError, TypeError):
        raise Http404("No such session.") from None


def draw_get_public(*, user, draw_id) -> LotteryDraw:
    """A draw of an activity the user may see (published: anyone), or Http404."""
    try:
        return (
            LotteryDraw.objects.select_related("activity", "session", "commitment")
            .filter(activity__in=activities_visible_to(user=user).values("pk"))
            .get(pk=draw_id)
        )
    except (LotteryDraw.DoesNotExist, ValueError, TypeError):
        raise Http404("No such draw.") from None


def commitment_check(draw: LotteryDraw) -> bool:
    """Whether the revealed seed of ``draw`` hashes to the commitment published before applications."""
    commitment = draw.commitment
    return commitment is not None and lottery_verify.seed_commitment(draw.seed) == commitment.seed_sha256


def draw_document(draw: LotteryDraw) -> dict:
    """The inputs and the outcome of a draw, as published for re-running (no names, no phones)."""
    session = draw.session
    commitment = draw.commitment
    return {
        "format": "zhaoxi-lottery-2",
        "activity_id": draw.activity_id,
        "activity": draw.activity.title,
        "session_starts_at": timezone.localtime(session.starts_at).isoformat() if session else None,
        "drawn_at": timezone.localtime(draw.drawn_at).isoformat(),
        "seed": draw.seed,
        "seed_sha256": commitment.seed_sha256 if commitment else None,
        "committed_at": timezone.localtime(commitment.committed_at).isoformat() if commitment else None,
        "places": draw.capacity,
        "entries": [
            {"id": int(e["id"]), "tier": int(e["tier"]), "size": int(e.get("size", 1))}
            for e in sorted(draw.entries, key=lambda e: (int(e["tier"]), int(e["id"])))
        ],
        "order": [int(i) for i in draw.order],
        "winners": [int(i) for i in draw.winners],
        "algorithm": "python3 lottery_verify.py draw.json (see the result page)",
    }


# --- staff: draw -----------------------------------------------------------------------------------


@login_required
def lottery_draw_page(request, activity_id):
    activity = activity_manageable_get(user=request.user, activity_id=activity_id)
    if not activity.is_lottery:
        raise Http404("Not a lottery.")
    now = timezone.now()
    session = _session_choice(activity, request.GET.get("session"))
    here = reverse("events:lottery_draw", args=[activity.pk]) + (f"?session={session.pk}" if session else "")
    if not activity.is_course and session is None:
        # Each session has its own draw: choose one.
        sessions = list(activity.sessions.order_by("starts_at", "id"))
        drawn = dict(LotteryDraw.objects.filter(activity=activity).values_list("session_id", "pk"))
        for s in sessions:
            s.draw_id = drawn.get(s.pk)
        return render(
            request,
            "events/lottery/draw.html",
            {"activity": activity, "choose_session": True, "sessions": sessions},
        )
    draw = LotteryDraw.objects.filter(activity=activity, session=session).first()
    closes = activity.booking_closes_at
    not_yet = None
    if draw is None and (closes is None or now < closes):
        not_yet = (
            _(
                "Applications are still open until %(when)s. The lottery can be drawn only after applications close."
            )
            % {"when": timezone.localtime(closes).strftime("%Y-%m-%d %H:%M")}
            if closes
            else _("Applications have no closing time. Set when booking closes before drawing the lottery.")
        )
    form = DrawForm(request.POST or None) if draw is None else None
    if request.method == "POST":
        if form is None:
            messages.warning(request, _("This lottery has already been drawn. Nothing was changed."))
            return redirect("events:lottery_result", draw_id=draw.pk)
        if form.is_valid():
            try:
                # A posted "seed" is not a field of the form and never reaches the service.
                draw = lottery_draw(actor=request.user, activity=activity, session=session)
            except PermissionDenied:
                raise Http404("No such activity.") from None
            except (ValidationError, IntegrityError) as exc:
                # IntegrityError: the database's one-draw-per-pool constraint, should two draws ever race
                # past the pool lock; the same answer as the service's own refusal.
                if isinstance(exc, IntegrityError) or getattr(exc, "code", None) == "already_drawn":
                    messages.warning(request, _("This lottery has already been drawn. Nothing was changed."))
                    done = LotteryDraw.objects.filter(activity=activity, session=session).first()
                    return redirect("events:lottery_result", draw_id=done.pk) if done else redirect(here)
                form.apply_service_errors(exc)
            else:
                messages.success(
                    request,
                    _(
                        "The lottery has been drawn: %(won)s of %(entries)s entries got a place. The result is published below."
                    )
                    % {"won": len(draw.winners), "entries": len(draw.order)},
                )
                return redirect("events:lottery_result", draw_id=draw.pk)
    groups = applications_by_tier(activity=activity, session=session) if draw is None else []
    commitment, untrusted = None, None
    if draw is None:
        pool = pool_for(activity=activity, session=session)
        commitment = lottery_commitment_for(activity=activity, session=session)
        untrusted = commitment_trusted(commitment=commitment, pool=pool)
    context = {
        "commitment": commitment,
        "untrusted": untrusted,
        "activity": activity,
        "session": session,
        "draw": draw,
        "not_yet": not_yet,
        "groups": groups,
        "entry_count": sum(len(g["entries"]) for g in groups),
        "person_count": sum(g["persons"] for g in groups),
        "places": pool_for(activity=activity, session=session).seats_left() if draw is None else None,
        "form": form,
        "here": here,
    }
    return render(
        request, "events/lottery/draw.html", context, status=400 if form is not None and form.errors else 200
    )


# --- public: the result ----------------------------------------------------------------------------


@require_GET
def lottery_result(request, draw_id):
    draw = draw_get_public(user=request.user, draw_id=draw_id)
    labels = tier_labels(draw.activity)
    commitment = draw.commitment
    entries = {int(e["id"]): e for e in draw.entries}
    winners = {int(i) for i in draw.winners}
    mine = set()
    if request.user.is_authenticated:
        mine = set(
            family_bookings(user=request.user, include_past=True)
            .filter(booking_id__in=[int(i) for i in draw.order])
            .values_list("booking_id", flat=True)
        )
    rows = []
    for position, entry_id in enumerate(draw.order, start=1):
        e = entries.get(int(entry_id), {})
        tier = int(e.get("tier", 1))
        rows.append(
            {
                "position": position,
                "id": int(entry_id),
                "tier": tier,
                "tier_label": labels.get(tier, tier),
                "size": int(e.get("size", 1)),
                "won": int(entry_id) in winners,
                "mine": int(entry_id) in mine,
            }
        )
    tiers_used = sorted({r["tier"] for r in rows})
    return render(
        request,
        "events/lottery/result.html",
        {
            "draw": draw,
            "activity": draw.activity,
            "commitment": commitment,
            "commitment_ok": commitment_check(draw),
            "rows": rows,
            "won_count": len(winners),
            "tiers": [(t, labels.get(t, t)) for t in tiers_used],
            "mine": bool(mine),
            "waitlist": draw.activity.waitlist_enabled,
            "json_name": f"draw-{draw.pk}.json",
            "code": inspect.getsource(lottery_verify.seed_commitment)
            + "\n\n"
            + inspect.getsource(lottery_verify.draw_order)
            + "\n\n"
            + inspect.getsource(lottery_verify.allocate),
        },
    )


@require_GET
def lottery_result_json(request, draw_id):
    draw = draw_get_public(user=request.user, draw_id=draw_id)
    response = JsonResponse(draw_document(draw), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="draw-{draw.pk}.json"'
    return response


@require_GET
def lottery_verify_script(request):
    source = Path(lottery_verify.__file__).read_text(encoding="utf-8")
    response = HttpResponse(source, content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="lottery_verify.py"'
    return response


@login_required
def lottery_entry(request, booking_id):
    """From one of her family's bookings to its line in the published draw (404 before the draw)."""
    booking = booking_get_for(user=request.user, booking_id=booking_id)
    draw = LotteryDraw.objects.filter(activity_id=booking.activity_id, session_id=booking.session_id).first()
    if draw is None or booking.pk not in [int(i) for i in draw.order]:
        raise Http404("Not drawn yet.")
    return redirect(reverse("events:lottery_result", args=[draw.pk]) + f"#entry-{booking.pk}")
