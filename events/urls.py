from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.activity_list, name="list"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("mine/", views.my_bookings, name="my_bookings"),
    path("registrations/<int:registration_id>/cancel/", views.registration_cancel_view, name="registration_cancel"),
    path("registrations/<int:registration_id>/leave/", views.waitlist_leave_view, name="waitlist_leave"),
    path("offers/<int:offer_id>/accept/", views.offer_accept_view, name="offer_accept"),
    path("offers/<int:offer_id>/decline/", views.offer_decline_view, name="offer_decline"),
    path("ticket/<str:token>/", views.ticket, name="ticket"),
    path("ticket/<str:token>/calendar.ics", views.ticket_ics, name="ticket_ics"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
]

# Check-in (events/views_checkin.py)
from . import views_checkin  # noqa: E402

urlpatterns += [
    path("sessions/<int:session_id>/checkin/", views_checkin.checkin_page, name="checkin"),
]
