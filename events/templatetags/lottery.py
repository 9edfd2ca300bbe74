"""``{% lottery_commitments activity as commitments %}``: the published seed commitments of a lottery.

The SHA-256 of each pool's seed (the course, or each session), for the activity page; never the seed.
One query whatever the number of sessions."""

from django import template
from django.db.models import F

from ..models import LotteryCommitment

register = template.Library()


@register.simple_tag
def lottery_commitments(activity) -> list[LotteryCommitment]:
    if not getattr(activity, "is_lottery", False):
        return []
    return list(
        LotteryCommitment.objects.filter(activity=activity)
        .select_related("session")
        .only("activity_id", "session__starts_at", "session__ends_at", "seed_sha256", "committed_at")
        .order_by(F("session__starts_at").asc(nulls_first=True), "id")
    )
