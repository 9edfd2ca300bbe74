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


@transaction.atomic
def user_preferences_remember(
    *, user: User, elder_mode: bool | None = None, language: str | None = None
) -> User:
    """Keep on the account what is in force on her browser: elder mode chosen before signing in, a language
    chosen in the switcher. ``None`` leaves a setting as it is; only a change is written."""
    if language is not None and language and language not in dict(settings.LANGUAGES):
        language = None
    locked = User.objects.select_for_update().get(pk=user.pk)
    changed = []
    if elder_mode is not None and locked.elder_mode != bool(elder_mode):
        locked.elder_mode = bool(elder_mode)
        changed.append("elder_mode")
    if language is not None and locked.language != language:
        locked.language = language
        changed.append("language")
    if changed:
        locked.save(update_fields=changed)
    user.elder_mode, user.language = locked.elder_mode, locked.language
    return locked


def preference_cookies_set(response, *, user: User) -> None:
    """The browser's cookies say what the account says (the language, elder mode), so the two never disagree."""
    year = 365 * 24 * 3600
    if user.language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, max_age=year, samesite="Lax")
    response.set_cookie(
        settings.ELDER_MODE_COOKIE,
        "1" if user.elder_mode else "0",
        max_age=year,
        samesite="Lax",
        httponly=True,
    )
