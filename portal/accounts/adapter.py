"""The allauth adapter: phone numbers live on our ``User`` (``phone``, ``phone_verified``).

allauth's native phone support calls the methods below to read, set, verify and look up phone numbers
and to send verification codes by SMS. Codes leave through the outbox's fast lane (:func:`send_code_sms`,
``portal.notify.services.message_send_code``): the page answers at once, the worker sends within seconds.
Limits that a request will hit are checked before anything is saved
(:func:`portal.accounts.ratelimits.limits_refuse`).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import uuid4

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import RateLimited
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.accounts import ratelimits
from portal.accounts.codes import code_issued, code_validity_seconds
from portal.accounts.phone import CNMobileField, normalize_cn_mobile, parse_cn_mobile

logger = logging.getLogger(__name__)


def user_phone_e164(user) -> str:
    """The user's phone in E.164 (``str()`` of the stored number uses the national display format)."""
    phone = getattr(user, "phone", None)
    if not phone:
        return ""
    return getattr(phone, "as_e164", None) or parse_cn_mobile(phone) or str(phone)


def user_with_phone(phone: str):
    """The account whose number is ``phone`` (any spelling of it), or None."""
    from portal.accounts.models import User

    e164 = parse_cn_mobile(phone)
    if e164 is None:
        return None
    return User.objects.filter(phone=e164).first()


def verification_sms_text(code: str) -> str:
    minutes = max(1, code_validity_seconds() // 60)
    return _(
        "Your verification code is %(code)s, valid for %(minutes)s minutes. Do not tell it to anyone."
    ) % {
        "code": code,
        "minutes": minutes,
    }


def account_exists_sms_text() -> str:
    return _(
        "Someone tried to sign up with your mobile number, which already has an account. Sign in with it, "
        "or reset your password if you have forgotten it. If it was not you, ignore this message."
    )


def send_code_sms(*, kind: str, user, phone: str, text: str, template_code: str, params: dict):
    """One SMS of the account pages (a code, a reset code, the "account exists" notice) through the
    outbox's fast lane: a row queued on commit for the urgent queue, whatever the quiet hours, and never
    sent after the code's validity. No HTTP happens in the request, so a slow or dead provider slows no
    page. The row's key is unique and never contains the code."""
    from portal.notify.services import message_send_code

    return message_send_code(
        key=f"account.{kind}:{uuid4().hex}",
        user=user,
        phone=phone,
        text=text,
        sms_template_code=template_code,
        params=params,
        valid_for=timedelta(seconds=code_validity_seconds()),
    )


# allauth's error messages that do not say what to do, in the portal's words (same keys as allauth's).
_PORTAL_MESSAGES = {
    "incorrect_code": gettext_lazy(
        "This code is not right. Please check the 6 digits in the text message and enter them again."
    ),
    "phone_password_mismatch": gettext_lazy(
        "The mobile number or the password is not right. Please check both and try again."
    ),
    "email_password_mismatch": gettext_lazy(
        "The e-mail address or the password is not right. Please check both and try again."
    ),
    "enter_current_password": gettext_lazy("Please enter your current password."),
    "incorrect_password": gettext_lazy("This password is not right. Please try again."),
    "same_as_current": gettext_lazy("This is the one you have now. Please enter the new one."),
    "select_only_one": gettext_lazy(
        "Please enter either your mobile number or your e-mail address, not both."
    ),
    "phone_taken": gettext_lazy("This mobile number already belongs to an account."),
}

# allauth's "try again later" messages, which we complete with how long to wait (portal.accounts.ratelimits).
_WAIT_MESSAGES = {
    "too_many_login_attempts": gettext_lazy("Too many failed sign-in attempts."),
    "rate_limited": gettext_lazy("Too many requests."),
}


class AccountAdapter(DefaultAccountAdapter):
    # --- limits: who is counted, and how long to wait (see portal.accounts.ratelimits) -----------
    @property
    def error_messages(self) -> dict:
        messages_ = {**DefaultAccountAdapter.error_messages, **_PORTAL_MESSAGES}
        wait = ratelimits.wait_message(ratelimits.retry_after(self.request))
        for code, text in _WAIT_MESSAGES.items():
            messages_[code] = format_lazy("{} {}", text, wait)
        return messages_

    def add_message(
        self, request, level, message_template=None, message_context=None, extra_tags="", message=None
    ):
        """An error message (allauth's "rate_limited" after a refused resend) tells the person about the
        refusal: the middleware adds no second one (portal.accounts.middleware)."""
        if message is not None and level >= messages.ERROR:
            ratelimits.note_told(request)
        return super().add_message(
            request,
            level,
            message_template=message_template,
            message_context=message_context,
            extra_tags=extra_tags,
            message=message,
        )

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The failed-login counter of one account: allauth's own key reads ``email`` or ``username``
        only, so every sign-in by phone (and every reauthentication) shared one counter for the whole
        site. The phone comes first: it is the account's name (USERNAME_FIELD)."""
        account = ""
        for field in ("phone", "email", "username"):
            account = ratelimits.account_key(credentials.get(field))
            if account:
                break
        return f"login:{account}"

    def get_client_ip(self, request) -> str:
        ip = ratelimits.client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    # --- phone numbers -----------------------------------------------------------------------------
    def phone_form_field(self, **kwargs):
        kwargs.pop("validators", None)
        return CNMobileField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return normalize_cn_mobile(phone)

    def set_phone(self, user, phone: str, verified: bool) -> None:
        """Give ``user`` the number ``phone``. An unverified new number of an existing account (the sign-up's
        "use a different number") is saved only when a code may be sent to it now: refused otherwise, with
        the wait, before anything changes (allauth would save the number first and then refuse the code)."""
        if user.pk and not verified:
            wait = ratelimits.limits_refuse(
                self.request, action="verify_phone", key=normalize_cn_mobile(phone)
            )
            if wait:
                ratelimits.note_retry_after(self.request, wait)
                raise RateLimited
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
        return user_with_phone(phone)

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        """A code to verify ``phone`` (sign-up, sign-in, a new number, sign-in by code): an urgent outbox row,
        sent by the worker within seconds; nothing waits for the provider here."""
        send_code_sms(
            kind="code",
            user=user,
            phone=phone,
            text=verification_sms_text(code),
            template_code=getattr(settings, "SMS_VERIFICATION_TEMPLATE_CODE", ""),
            params={"code": code},
        )

    def send_account_already_exists_sms(self, phone: str) -> None:
        """Someone signed up with a number that has an account: its owner is told by SMS, and the page
        answers exactly as for a new number (no enumeration)."""
        owner = user_with_phone(phone)
        if owner is None:  # the account is gone since the form looked: nobody to tell
            logger.warning("account-exists SMS not sent: no account has this number any more")
            return
        send_code_sms(
            kind="exists",
            user=owner,
            phone=phone,
            text=account_exists_sms_text(),
            template_code=getattr(settings, "SMS_ACCOUNT_EXISTS_TEMPLATE_CODE", ""),
            params={},
        )

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
                    key=f"account.welcome:user:{user.pk}",
                    template="account.welcome",
                    context={},
                    user=user,
                    channels=["inbox"],
                )
        return user

    # --- after sign-in -----------------------------------------------------------------------------
    def post_login(self, request, user, **kwargs):
        """What she chose on this browser before signing in (elder mode, a language in the switcher) is kept
        on her account; what the account says and the browser did not choose (her language on a new phone)
        is put in force. The cookies then say what the account says."""
        from portal.accounts.services import preference_cookies_set, user_preferences_remember

        response = super().post_login(request, user, **kwargs)
        elder_cookie = request.COOKIES.get(settings.ELDER_MODE_COOKIE)
        language_cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        user_preferences_remember(
            user=user,
            elder_mode=None if elder_cookie is None else elder_cookie == "1",
            language=language_cookie if language_cookie in dict(settings.LANGUAGES) else None,
        )
        if hasattr(response, "set_cookie"):
            preference_cookies_set(response, user=user)
        return response


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator) -> bool:
        """Staff cannot turn their authenticator app off: the sensitive areas need it (a lost phone is
        replaced by community staff deleting the old authenticator in the admin)."""
        from allauth.mfa.models import Authenticator

        if authenticator.type == Authenticator.Type.TOTP and authenticator.user.can_use_mfa:
            return False
        return super().can_delete_authenticator(authenticator)
