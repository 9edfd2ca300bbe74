from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from . import views

# The admin signs in through allauth's flow like every other page (two-factor included): its own login
# page, which takes a password alone, hands over to allauth's.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico by themselves: send them to the icon (not a 404 in every log).
    path("favicon.ico", RedirectView.as_view(url=lazy(static_url, str)("img/favicon.ico"), permanent=True)),
    path("health/", views.health, name="health"),
    path("elder-mode/", views.elder_mode_set, name="elder_mode"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("me/", include("portal.accounts.urls")),
    path("community/", include("portal.community.urls")),
    path("inbox/", include("portal.notify.urls")),
    path("activities/", include("events.urls")),
    path("volunteers/", include("portal.volunteers.urls")),
    path("reports/", include("portal.reports.urls")),
    path("holidays/", include("portal.holidays.urls")),
    # The service areas, by name: portal imports none of them.
    path("elders/", include("elders.urls")),
    path("youth/", include("youth.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
