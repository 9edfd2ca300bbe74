"""The lottery: applications are collected during the window, then one fair seeded draw.

The draw is published with its seed, its entries and their tiers, so anyone can re-run it::

    lottery_rerun(draw.seed, draw.entries) == draw.order

An entry is a booking (a parent applying for two children enters once, and the children win or lose
together). Tiers come from the activity's ``PriorityTier`` rows: an entry is in the best tier any of its
persons qualifies for; entries in no tier come last. Within a tier the order is a shuffle by
``random.Random(seed)``; tiers are drawn best first. Places are given in draw order while they last
(an entry needs as many places as persons, or one when the activity counts families; an entry too large
for the places left is passed over for the next). The rest go to the waitlist in draw order.
"""

from __future__ import annotations

import datetime
import random
import secrets
from collections.abc import Iterable, Mapping

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Activity, LotteryDraw, Registration, RegistrationStatus, Session
from ._messages import notify_booking
from ._pool import Pool, pool_for, pool_lock
from .eligibility import is_resident
from .reminders import reminders_schedule_for


def _normalise(entries: Iterable[Mapping | tuple]) -> list[tuple[int, int]]:
    out = []
    for e in entries:
        if isinstance(e, Mapping):
            out.append((int(e.get("tier", 1)), int(e["id"])))
        else:
            out.append((int(e[1]), int(e[0])))
    return sorted(out)


def lottery_rerun(seed: str, entries: Iterable[Mapping | tuple]) -> list[int]:
    """The draw order for ``entries`` ({"id", "tier"} mappings or (id, tier) pairs) under ``seed``.

    Pure and deterministic: the same seed and entries give the same order on any machine."""
    rng = random.Random(str(seed))
    by_tier: dict[int, list[int]] = {}
    for tier, entry_id in _normalise(entries):
        by_tier.setdefault(tier, []).append(entry_id)
    order: list[int] = []
    for tier in sorted(by_tier):
        ids = by_tier[tier]
        rng.shuffle(ids)
        order.extend(ids)
    return order


def lottery_allocate(*, order: list[int], sizes: Mapping[int, int], places: int) -> list[int]:
    """The winners: entries in draw order that fit in the places left."""
    winners = []
    for entry_id in order:
        size = sizes[entry_id]
        if size <= places:
            winners.append(entry_id)
            places -= size
    return winners


def _tier_of(*, regs: list[Registration], tiers, default: int) -> int:
    for tier in tiers:
        for reg in regs:
            if tier.residents and is_resident(reg.person):
                return tier.rank
            if tier.group_id and reg.person.pk in tier.member_ids:
                return tier.rank
    return default


def lottery_draw(
    *,
    actor,
    activity: Activity,
    session: Session | None = None,
    seed: str | None = None,
    now: datetime.datetime | None = None,
) -> LotteryDraw:
    """Draw the lottery of a pool after its application window has closed (once)."""
    from ..selectors import can_manage_activity

    now = now or timezone.now()
    if not can_manage_activity(user=actor, activity=activity):
        raise PermissionDenied
    if not activity.is_lottery:
        raise ValidationError(
            _("This activity is first come, first served: there is nothing to draw."), code="not_lottery"
        )
    if activity.booking_closes_at is None or now < activity.booking_closes_at:
        raise ValidationError(
            _("The lottery can be drawn only after applications close."), code="window_open"
        )
    if not activity.is_course and (session is None or session.activity_id != activity.pk):
        raise ValidationError(_("Choose the session whose lottery to draw."), code="no_session")
    seed = (seed or secrets.token_hex(16)).strip()
    if not seed or len(seed) > 100:
        raise ValidationError(_("The seed must be 1 to 100 characters long."), code="bad_seed")
    with transaction.atomic(), set_actor(actor):
        pool: Pool = pool_lock(pool_for(activity=activity, session=session))
        if LotteryDraw.objects.filter(activity=activity, session=pool.session).exists():
            raise ValidationError(_("This lottery has already been drawn."), code="already_drawn")
        applied = list(
            pool.registrations()
            .filter(status=RegistrationStatus.APPLIED)
            .select_related("person", "booking")
            .order_by("booking_id", "id")
        )
        by_booking: dict[int, list[Registration]] = {}
        for reg in applied:
            by_booking.setdefault(reg.booking_id, []).append(reg)
        tiers = list(activity.priority_tiers.order_by("rank"))
        for tier in tiers:
            tier.member_ids = set(tier.group.members.values_list("pk", flat=True)) if tier.group_id else set()
        default_tier = (tiers[-1].rank + 1) if tiers else 1
        entries = [
            {
                "id": booking_id,
                "tier": _tier_of(regs=regs, tiers=tiers, default=default_tier),
                "size": 1 if activity.counts_families else len(regs),
            }
            for booking_id, regs in by_booking.items()
        ]
        order = lottery_rerun(seed, entries)
        places = pool.seats_left()
        winners = lottery_allocate(order=order, sizes={e["id"]: e["size"] for e in entries}, places=places)
        won = set(winners)
        queue_no = pool.next_queue_no()
        for booking_id in order:
            regs = by_booking[booking_id]
            ids = [r.pk for r in regs]
            if booking_id in won:
                Registration.objects.filter(pk__in=ids).update(
                    status=RegistrationStatus.CONFIRMED, updated_at=now
                )
                template = "events.lottery_won"
            elif activity.waitlist_enabled:
                if activity.counts_families:
                    Registration.objects.filter(pk__in=ids).update(
                        status=RegistrationStatus.WAITLISTED, queue_no=queue_no, updated_at=now
                    )
                    queue_no += 1
                else:
                    for reg in regs:
                        Registration.objects.filter(pk=reg.pk).update(
                            status=RegistrationStatus.WAITLISTED, queue_no=queue_no, updated_at=now
                        )
                        queue_no += 1
                template = "events.lottery_waitlisted"
            else:
                Registration.objects.filter(pk__in=ids).update(status=RegistrationStatus.LOST, updated_at=now)
                template = "events.lottery_lost"
            notify_booking(
                booking=regs[0].booking,
                template=template,
                key=f"events.lottery:{booking_id}",
                context={"seed": seed},
                persons=[r.person for r in regs],
            )
        draw = LotteryDraw.objects.create(
            activity=activity,
            session=pool.session,
            seed=seed,
            capacity=places,
            entries=entries,
            order=order,
            winners=winners,
            drawn_at=now,
            drawn_by=actor,
        )
        if winners:
            reminders_schedule_for(booking_ids=winners, now=now)
    return draw
