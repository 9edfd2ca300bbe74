"""URLs of the youth area (namespace ``youth``): each piece keeps its own patterns next to its views."""

from .views import children, classes, daycare, pickup, stats

app_name = "youth"

urlpatterns = [
    *classes.urlpatterns,
    *children.urlpatterns,
    *daycare.urlpatterns,
    *pickup.urlpatterns,
    *stats.urlpatterns,
]
