"""Template tags of the sign-in pages."""

from django import template

from portal.accounts import ratelimits

register = template.Library()


@register.simple_tag(takes_context=True)
def wait_message(context) -> str:
    """ "请60秒后再试。": how long until the limit this request ran into lets the person try again."""
    seconds = context.get("retry_after") or ratelimits.retry_after(context.get("request"))
    return ratelimits.wait_message(seconds)


@register.simple_tag(takes_context=True)
def offers_number_change(context) -> bool:
    """Whether the phone verification page offers "use a different number": where allauth does, and on a
    sign-up for a number that already has an account (allauth made no account there, so it would not),
    so that the two sign-ups get the same page."""
    if context.get("can_change"):
        return True
    stage = getattr(context.get("request"), "_login_stage", None)
    login = getattr(stage, "login", None)
    return bool(login is not None and login.signup and login.user is None and login.phone)
