"""The personal calendar feed's key: "reset my calendar link" (``events.views.feed_reset``)."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from ..models import FeedKey


def feed_key_reset(*, user) -> FeedKey:
    """A new random key for ``user``: every calendar link made with the old one stops working (a 404).

    The audit trail records that the key was reset, never the key itself (``FeedKey`` is registered with the
    key excluded)."""
    with transaction.atomic():
        feed_key, _created = FeedKey.objects.update_or_create(
            user=user, defaults={"key": secrets.token_urlsafe(32), "reset_at": timezone.now()}
        )
    return feed_key
