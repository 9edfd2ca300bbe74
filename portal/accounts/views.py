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
from portal.accounts.services import user_profile_update


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
                messages.success(request, _("Your account settings were saved."))
                response = redirect("accounts:profile")
                if user.language:
                    translation.activate(user.language)
                    response.set_cookie(
                        settings.LANGUAGE_COOKIE_NAME, user.language, max_age=365 * 24 * 3600, samesite="Lax"
                    )
                else:
                    response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
                response.set_cookie(
                    settings.ELDER_MODE_COOKIE,
                    "1" if user.elder_mode else "0",
                    max_age=365 * 24 * 3600,
                    samesite="Lax",
                    httponly=True,
                )
                return response
    else:
        form = ProfileForm(
            initial={"name": user.name, "language": user.language, "elder_mode": user.elder_mode}
        )
    context = {
        "form": form,
        "notify_preferences_url": _notify_preferences_url(),
        "show_mfa": user.can_use_mfa,
    }
    return render(request, "accounts/profile.html", context)
