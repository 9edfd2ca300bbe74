"""Template tags of the "enter the code we sent" pages: to whom the code went, and when a new one may go.

The code leaves through the outbox after the page has answered (portal.accounts.adapter.send_code_sms),
so these pages say it is on its way. A new code may be asked for once allauth's limit of the action that
sends it lets one more through (``verify_phone``, ``request_login_code``, ``reset_password``: one a
minute per number); the page says how long that is, and the server refuses an earlier request anyway.
"""

from django import template

from portal.accounts.phone import national_digits, parse_cn_mobile

register = template.Library()


@register.filter
def masked_phone(value) -> str:
    """``+8613800138000`` -> ``138****8000``: enough for the owner to recognise, not to read off a screen."""
    text = str(value or "").strip()
    e164 = parse_cn_mobile(text)
    digits = national_digits(e164) if e164 else "".join(c for c in text if c.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


@register.simple_tag(takes_context=True)
def code_resend_wait(context, action: str, key) -> int:
    """Seconds until a new code for ``key`` may be sent by ``action`` (0: now)."""
    from portal.accounts.ratelimits import limit_wait

    request = context.get("request")
    if request is None or not key:
        return 0
    return limit_wait(request, action=action, key=str(key).lower())
