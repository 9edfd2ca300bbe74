"""The lottery: applications are collected during the window, then one fair seeded draw.

No one can steer it. The seed of each pool (the course, or one session) is chosen by the portal
(``secrets``), never typed by a person, and committed to before anyone can apply: a
``LotteryCommitment`` made by ``lottery_commitment_ensure`` when the activity or session becomes a
lottery, and again (defensively, under the pool's lock) before an application is saved. The activity
page publishes the commitment's SHA-256 once applications open; the draw uses that seed and reveals it,
and refuses to draw with no commitment or one made after the first application.

One implementation: the order, the allocation and the commitment hash are the functions of
``events.lottery_verify``, the standard-library script the public downloads to re-run a draw::

    lottery_verify.draw_order(draw.seed, draw.entries) == draw.order
    lottery_verify.seed_commitment(draw.seed) == draw.commitment.seed_sha256

An entry is a booking (a parent applying for two children enters once, and the children win or lose
together). Tiers come from the activity's ``PriorityTier`` rows: an entry is in the best tier any of its
persons qualifies for; entries in no tier come last. Within a tier the order is a shuffle by
``random.Random(seed)``; tiers are drawn best first. Places are given in draw order while they last
(an entry needs as many places as persons, or one when the activity counts families; an entry too large
for the places left is passed over for the next). The rest go to the waitlist in draw order.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import set_actor

from .. import lottery_verify
from ..models import Activity, LotteryCommitment, LotteryDraw, Registration, RegistrationStatus, Session
from . import _pool
from ._messages import notify_booking
from ._pool import Pool, pool_for, pool_lock
from .eligibility import is_resident
from .reminders import reminders_schedule_for


def _as_mapping(entry: Mapping | tuple) -> Mapping:
    if isinstance(entry, Mapping):
        return entry
    return {"id": entry[0], "tier": entry[1]}


def lottery_rerun(seed: str, entries: Iterable[Mapping | tuple]) -> list[int]:
    """The draw order for ``entries`` ({"id", "tier"} mappings or (id, tier) pairs) under ``seed``:
    ``events.lottery_verify.draw_order``, the public script's own function."""
    return lottery_verify.draw_order(seed, [_as_mapping(e) for e in entries])


def lottery_allocate(*, order: list[int], sizes: Mapping[int, int], places: int) -> list[int]:
    """The winners: ``events.lottery_verify.allocate`` (entries in draw order that fit in the places left)."""
    return lottery_verify.allocate(order, sizes, places)


def lottery_commitment_ensure(
    *, activity: Activity, session: Session | None = None, now: datetime.datetime | None = None
) -> LotteryCommitment | None:
    """The seed commitment of a lottery pool, made now if it has none yet (idempotent).

    For a course the pool is the activity (``session`` is ignored); for a session-by-session lottery
    each session has its own. Returns None for an activity that is not a lottery. An existing commitment
    is never changed or replaced. Call it when an activity or a session is created as (or made) a
    lottery, inside the caller's transaction; the application path calls it too, under the pool lock."""
    if not activity.is_lottery:
        return None
    pool = pool_for(activity=activity, session=session)
    existing = LotteryCommitment.objects.filter(activity=activity, session=pool.session).first()
    if existing is not None:
        return existing
    seed = secrets.token_hex(32)
    with transaction.atomic():
        commitment, _created = LotteryCommitment.objects.get_or_create(
            activity=activity,
            session=pool.session,
            defaults={
                "seed": seed,
                "seed_sha256": lottery_verify.seed_commitment(seed),
                "committed_at": now or timezone.now(),
            },
        )
    return commitment


def lottery_commitment_for(*, activity: Activity, session: Session | None = None) -> LotteryCommitment | None:
    """The commitment of a pool, or None (a read; never makes one)."""
    pool = pool_for(activity=activity, session=session)
    return LotteryCommitment.objects.filter(activity=activity, session=pool.session).first()


def commitment_trusted(*, commitment: LotteryCommitment | None, pool: Pool) -> str | None:
    """Why ``commitment`` cannot be used to draw ``pool`` (a refusal code), or None when it can."""
    if commitment is None:
        return "no_commitment"
    first = pool.registrations().aggregate(first=Min("created_at"))["first"]
    if first is not None and commitment.committed_at > first:
        return "late_commitment"
    if lottery_verify.seed_commitment(commitment.seed) != commitment.seed_sha256:
        return "bad_commitment"
    return None


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
    now: datetime.datetime | None = None,
) -> LotteryDraw:
    """Draw the lottery of a pool after its application window has closed (once), with the seed
    committed before the first application, which the draw reveals. No one chooses the seed: there is
    no ``seed`` argument."""
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
    with transaction.atomic(), set_actor(actor):
        pool: Pool = pool_lock(pool_for(activity=activity, session=session))
        if LotteryDraw.objects.filter(activity=activity, session=pool.session).exists():
            raise ValidationError(_("This lottery has already been drawn."), code="already_drawn")
        # Under the pool's lock: no application can be saved meanwhile.
        commitment = LotteryCommitment.objects.filter(activity=activity, session=pool.session).first()
        refusal = commitment_trusted(commitment=commitment, pool=pool)
        if refusal == "no_commitment":
            raise ValidationError(
                _(
                    "This lottery has no seed committed before applications opened, so it cannot be drawn: "
                    "nobody could check that the seed was not chosen after the entries were known."
                ),
                code=refusal,
            )
        if refusal == "late_commitment":
            raise ValidationError(
                _(
                    "The seed of this lottery was committed on %(when)s, after the first application. A seed "
                    "fixed once the entries were known cannot be trusted, so the lottery cannot be drawn with it."
                )
                % {"when": timezone.localtime(commitment.committed_at).strftime("%Y-%m-%d %H:%M")},
                code=refusal,
            )
        if refusal:
            raise ValidationError(
                _("The seed of this lottery does not match its published commitment."), code=refusal
            )
        seed = commitment.seed
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
        _pool.pool_recount(pool)
        draw = LotteryDraw.objects.create(
            activity=activity,
            session=pool.session,
            seed=seed,
            commitment=commitment,
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
