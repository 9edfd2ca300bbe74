"""The profile page (/me/): the signed-in user edits her own account, nothing else."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from portal.accounts.forms import ProfileForm
from portal.accounts.services import preference_cookies_set, user_profile_update


def _notify_preferences_url() -> str:
    try:
        return reverse("notify:preferences")
    except NoReverseMatch:
        return "/inbox/preferences/"


@login_required
def profile(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                user_profile_update(user=user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                if user.language:
                    translation.activate(user.language)
                messages.success(request, _("Your account settings were saved."))
                response = redirect("accounts:profile")
                preference_cookies_set(response, user=user)
                if not user.language:
                    response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
                return response
    else:
        # What is in force on this page: elder mode as the page shows it, the language the cookie chose
        # (the switcher), else the account's ("" = the browser's language).
        cookie_language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = cookie_language if cookie_language in dict(settings.LANGUAGES) else user.language
        form = ProfileForm(
            initial={
                "name": user.name,
                "language": language,
                "elder_mode": getattr(request, "elder_mode", user.elder_mode),
            }
        )
    context = {
        "form": form,
        "notify_preferences_url": _notify_preferences_url(),
        "show_mfa": user.can_use_mfa,
    }
    return render(request, "accounts/profile.html", context)
