"""The allauth adapter: phone numbers live on our ``User`` (``phone``, ``phone_verified``).

allauth's native phone support calls the methods below to read, set, verify and look up phone numbers
and to send verification codes by SMS (through :mod:`portal.accounts.sms`).
"""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.utils.translation import gettext as _

from portal.accounts.codes import code_issued, code_validity_seconds
from portal.accounts.phone import CNMobileField, normalize_cn_mobile, parse_cn_mobile
from portal.accounts.sms import SMSError, sms_send

logger = logging.getLogger(__name__)


def user_phone_e164(user) -> str:
    """The user's phone in E.164 (``str()`` of the stored number uses the national display format)."""
    phone = getattr(user, "phone", None)
    if not phone:
        return ""
    return getattr(phone, "as_e164", None) or parse_cn_mobile(phone) or str(phone)


def verification_sms_text(code: str) -> str:
    minutes = max(1, code_validity_seconds() // 60)
    return _("Your verification code is %(code)s, valid for %(minutes)s minutes. Do not tell it to anyone.") % {
        "code": code,
        "minutes": minutes,
    }


class AccountAdapter(DefaultAccountAdapter):
    # --- phone numbers -----------------------------------------------------------------------------
    def phone_form_field(self, **kwargs):
        kwargs.pop("validators", None)
        return CNMobileField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return normalize_cn_mobile(phone)

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = normalize_cn_mobile(phone)
        user.phone_verified = bool(verified)
        if user.pk:
            user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user) -> tuple[str, bool] | None:
        e164 = user_phone_e164(user)
        if not e164:
            return None
        return e164, bool(user.phone_verified)

    def set_phone_verified(self, user, phone: str) -> None:
        """The code sent to ``phone`` was confirmed: it becomes the user's (verified) number.

        For a sign-up or sign-in this is the number she already has; for a change of number it is the new
        one (allauth checked it is not taken by someone else before calling this).
        """
        e164 = parse_cn_mobile(phone)
        if e164 is None:
            return
        if e164 == user_phone_e164(user) and user.phone_verified:
            return
        user.phone = e164
        user.phone_verified = True
        user.save(update_fields=["phone", "phone_verified"])

    def get_user_by_phone(self, phone: str):
        from portal.accounts.models import User

        e164 = parse_cn_mobile(phone)
        if e164 is None:
            return None
        return User.objects.filter(phone=e164).first()

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        template_code = getattr(settings, "SMS_VERIFICATION_TEMPLATE_CODE", "")
        try:
            sms_send(phone=phone, text=verification_sms_text(code), template_code=template_code, params={"code": code})
        except SMSError as exc:
            # The page still answers normally (no 500, no enumeration); the person can ask for a new code.
            logger.warning("verification SMS could not be sent: %s (retryable=%s)", exc, exc.retryable)
            request = self.request
            if request is not None:
                messages.error(request, _("We could not send the text message just now. Please try again in a minute."))

    # --- one-time codes: remember when each was issued (see portal.accounts.codes) ---------------
    def generate_phone_verification_code(self, *, user, phone: str) -> str:
        code = super().generate_phone_verification_code(user=user, phone=phone)
        code_issued(code)
        return code

    def generate_login_code(self) -> str:
        code = super().generate_login_code()
        code_issued(code)
        return code

    def generate_password_reset_code(self) -> str:
        code = super().generate_password_reset_code()
        code_issued(code)
        return code

    # --- sign-up -----------------------------------------------------------------------------------
    def save_user(self, request, user, form, commit=True):
        """Save the new user with her phone and name, and create her resident record in one transaction."""
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=False)
            user.email = user.email or ""
            user.name = (form.cleaned_data.get("name") or "").strip()
            if commit:
                user.save()
                from portal.community.services import person_ensure_for_user
                from portal.notify.services import message_enqueue

                person_ensure_for_user(user=user)
                # A welcome in her inbox (not by SMS: she has just had a code by SMS, and SMS costs money).
                message_enqueue(
                    key=f"account.welcome:user:{user.pk}", template="account.welcome", context={}, user=user,
                    channels=["inbox"],
                )
        return user

    # --- after sign-in -----------------------------------------------------------------------------
    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        if getattr(user, "language", "") and hasattr(response, "set_cookie"):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, user.language, max_age=365 * 24 * 3600, samesite="Lax"
            )
        return response
