"""Writes to accounts. Sign-up itself runs through allauth and :class:`portal.accounts.adapter.AccountAdapter`."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.accounts.models import User


@transaction.atomic
def user_profile_update(*, user: User, name: str, language: str = "", elder_mode: bool = False) -> User:
    """Update a user's own profile: name (姓名), interface language ("" = follow the browser), elder mode."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Please enter your name.")})
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the offered languages.")})
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.name = name[:50]
    locked.language = language
    locked.elder_mode = bool(elder_mode)
    locked.save(update_fields=["name", "language", "elder_mode"])
    user.name, user.language, user.elder_mode = locked.name, locked.language, locked.elder_mode
    return locked
