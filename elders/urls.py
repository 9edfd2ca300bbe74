"""URLs of the elders area (namespace ``elders``): each piece of the area keeps its own patterns next to
its views."""

from .views import classes, core, health, outreach, partners

app_name = "elders"

urlpatterns = [
    *core.urlpatterns,
    *partners.urlpatterns,
    *health.urlpatterns,
    *outreach.urlpatterns,
    *classes.urlpatterns,
]
