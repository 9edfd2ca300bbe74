"""Sign-in security that holds for every page: two-factor for the sensitive areas, two-factor pages only for
the roles that may use them, and a translated "please wait" page for allauth's ``RateLimited``. Also: a
language chosen in the switcher while signed in is kept on the account (``_language_choice_remember``).

Staff of every kind (community staff, grid workers, partner staff) and admin users see residents'
personal and health data. They use the sensitive areas (below) only once two-factor sign-in (TOTP) is on;
without it they are led to allauth's activation page with an explanation. Signing in is allauth's flow
everywhere (the admin's login page hands over to it, see portal/urls.py), so a staff member with TOTP is
always asked for her code.
"""

from __future__ import annotations

from allauth.core.exceptions import RateLimited
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.accounts import ratelimits

# The sensitive areas: a URL namespace (every page in it) or "namespace:name" (one page).
SENSITIVE_AREAS = frozenset(
    {
        "admin",  # the back office, the sensitive-data admin included
        "reports",  # the dashboard and ledgers (台账)
        "community:workbench",  # the staff workbench: residents, their health details, claims
        "community:workbench_person",
        "community:claims",
        "community:claim_decide",
        "community:sensitive_edit",  # health details
        "events:staff_activities",  # rosters with names and phone numbers, their exports
        "events:manage",
        "events:roster",
        "events:roster_export",
        "events:session_cancel",
        "events:session_message",
        "events:checkin",
        "events:onbehalf",
        "events:lottery_draw",
        "events:checkpoints",
        "events:session_shifts",
        "volunteers:hours_pending",
        "volunteers:hours_approve_bulk",
        "volunteers:hours_approve",
        "volunteers:hours_reject",
    }
)

# allauth's two-factor pages a signed-in user may always reach (to prove her second factor).
_MFA_CHALLENGES = frozenset({"mfa_authenticate", "mfa_reauthenticate", "mfa_trust"})


def needs_two_factor(user) -> bool:
    """Staff roles that see sensitive data (and admin users) must sign in with two factors."""
    return bool(user.is_authenticated and user.can_use_mfa)


def has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import is_mfa_enabled

    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


def shows_personal_data(view):
    """Mark a view as a sensitive area: staff reach it only with two-factor sign-in on.

    For the service areas' staff pages (an elder's care plan, a child's roster with allergies, a trainee's
    placement): ``@shows_personal_data`` on the view, instead of a name added to ``SENSITIVE_AREAS``."""
    view.shows_personal_data = True
    return view


def _language_choice_remember(request, response) -> None:
    """A language chosen in the switcher (Django's ``set_language``) while signed in is saved to her account,
    so the profile shows it and her next sign-in on another browser keeps it."""
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or match.url_name != "set_language" or request.method != "POST":
        return
    if user is None or not user.is_authenticated:
        return
    cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie is None or not cookie.value:
        return
    from portal.accounts.services import user_preferences_remember

    user_preferences_remember(user=user, language=cookie.value)


def _in_sensitive_area(match, view_func=None) -> bool:
    if getattr(view_func, "shows_personal_data", False):
        return True
    namespace = match.namespace or ""
    return namespace in SENSITIVE_AREAS or f"{namespace}:{match.url_name}" in SENSITIVE_AREAS


class SignInSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        _language_choice_remember(request, response)
        wait = ratelimits.retry_after(request)
        if wait and response.status_code in (301, 302, 303) and not ratelimits.told(request):
            # A limit that allauth answers by quietly not doing the thing (a confirmation e-mail asked
            # again too soon): the next page says so, and how long to wait.
            messages.error(request, f"{_('Too many requests.')} {ratelimits.wait_message(wait)}")
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        user = getattr(request, "user", None)
        if match is None or user is None or not user.is_authenticated:
            return None
        url_name = match.url_name or ""
        if url_name.startswith("mfa_") and not match.namespace:
            if not user.can_use_mfa and url_name not in _MFA_CHALLENGES:
                raise Http404
            return None
        if _in_sensitive_area(match, view_func) and needs_two_factor(user) and not has_totp(user):
            messages.warning(
                request,
                _(
                    "These pages show residents' personal data. Turn on two-factor sign-in with an "
                    "authenticator app first: you will then be asked for a code from it whenever you sign in."
                ),
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return None

    def process_exception(self, request, exception):
        """allauth raises ``RateLimited`` from inside some flows (a new code for a phone number asked again
        within the minute); it is a "please wait" page, never a 500."""
        if isinstance(exception, RateLimited):
            return ratelimits.respond_429(request)
        return None
