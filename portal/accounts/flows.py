"""Password reset by SMS code, built on allauth's code-based password reset.

allauth (65.x) resets passwords by a code sent to an e-mail address. This process sends the code to a
mobile number instead and keeps allauth's session state, so allauth's own "enter the code" and "choose
a new password" pages, attempt limits and timeouts apply unchanged. The phone number is stored in the
state's ``email`` slot, which allauth only uses to display the recipient and to look up e-mail records
(there is none for a phone number, so nothing else changes).

The code leaves through the outbox's fast lane (:func:`portal.accounts.adapter.send_code_sms`): the page
answers at once and says the code is on its way, whatever the provider is doing.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.password_reset_by_code import PasswordResetVerificationProcess
from django.conf import settings
from django.utils.translation import gettext as _

from portal.accounts.adapter import send_code_sms


def password_reset_sms_text(code: str) -> str:
    return _("Your password reset code is %(code)s. If you did not ask for it, ignore this message.") % {
        "code": code
    }


class PhonePasswordResetProcess(PasswordResetVerificationProcess):
    def send(self) -> None:
        if not self.user:
            # No account with this number: send nothing, answer the same (no enumeration, no SMS cost).
            return
        code = get_adapter().generate_password_reset_code()
        self.state["code"] = code
        template_code = getattr(settings, "SMS_PASSWORD_RESET_TEMPLATE_CODE", "") or getattr(
            settings, "SMS_VERIFICATION_TEMPLATE_CODE", ""
        )
        send_code_sms(
            kind="reset_code",
            user=self.user,
            phone=self.state["phone"],
            text=password_reset_sms_text(code),
            template_code=template_code,
            params={"code": code},
        )

    @classmethod
    def initiate(cls, *, request, user, phone: str, email: str | None = None) -> PhonePasswordResetProcess:
        state = cls.initial_state(user, email=phone, phone=phone)
        process = cls(request, state=state, user=user)
        process.send()
        process.persist()
        return process
