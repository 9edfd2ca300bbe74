"""The in-site inbox and the contact preferences page. HTTP only: selectors to read, services to write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import ContactPreferenceForm

PAGE_SIZE = 20


@login_required
def inbox(request):
    page = Paginator(selectors.inbox_for(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page})


@login_required
def message_detail(request, message_id: int):
    message = selectors.inbox_message_for(user=request.user, message_id=message_id)
    services.inbox_mark_read(user=request.user, message=message)
    return render(request, "notify/message_detail.html", {"message": message})


@login_required
@require_POST
def mark_all_read(request):
    count = services.inbox_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All messages are marked as read."))
    return redirect("notify:inbox")


@login_required
def preferences(request):
    pref = selectors.contact_preference_for(user=request.user)
    if request.method == "POST":
        form = ContactPreferenceForm(request.POST)
        if form.is_valid():
            try:
                services.contact_preference_set(user=request.user, **form.cleaned_data)
            except services.NotifyError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your notification preferences are saved."))
                return redirect("notify:preferences")
    else:
        form = ContactPreferenceForm(
            initial={
                "sms_enabled": pref.sms_enabled,
                "email_enabled": pref.email_enabled,
                "quiet_start": pref.quiet_start,
                "quiet_end": pref.quiet_end,
            }
        )
    return render(request, "notify/preferences.html", {"form": form, "has_email": bool(request.user.email)})
