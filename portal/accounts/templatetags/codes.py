"""Template tags of the "enter the code we sent" pages: when a new code may go, and how long one is valid
(the number it went to is shown by ``phones.phone_masked``).

The code leaves through the outbox after the page has answered (portal.accounts.adapter.send_code_sms),
so these pages say it is on its way. A new code may be asked for once allauth's limit of the action that
sends it lets one more through (``verify_phone``, ``request_login_code``, ``reset_password``: one a
minute per number); the page's "send again" button counts down to it, and the server refuses an earlier
request anyway.
"""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def code_resend_wait(context, action: str, key) -> int:
    """Seconds until a new code for ``key`` may be sent by ``action`` (0: now)."""
    from portal.accounts.ratelimits import limit_wait

    request = context.get("request")
    if request is None or not key or not action:
        return 0
    return limit_wait(request, action=action, key=str(key).lower())


@register.simple_tag
def code_minutes() -> int:
    """How many minutes a texted code is valid (settings.ACCOUNT_CODE_VALIDITY), for the pages that say so."""
    from portal.accounts.codes import code_validity_seconds

    return max(1, code_validity_seconds() // 60)
