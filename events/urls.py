from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.activity_list, name="list"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("mine/", views.my_bookings, name="my_bookings"),
    path(
        "registrations/<int:registration_id>/cancel/",
        views.registration_cancel_view,
        name="registration_cancel",
    ),
    path("registrations/<int:registration_id>/leave/", views.waitlist_leave_view, name="waitlist_leave"),
    path("offers/<int:offer_id>/accept/", views.offer_accept_view, name="offer_accept"),
    path("offers/<int:offer_id>/decline/", views.offer_decline_view, name="offer_decline"),
    path("ticket/<str:token>/", views.ticket, name="ticket"),
    path("ticket/<str:token>/calendar.ics", views.ticket_ics, name="ticket_ics"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("feed/reset/", views.feed_reset, name="feed_reset"),
]

# Check-in (events/views_checkin.py)
from . import views_checkin  # noqa: E402

urlpatterns += [
    path("sessions/<int:session_id>/checkin/", views_checkin.checkin_page, name="checkin"),
]

# Volunteer shifts (events/views_shifts.py)
from . import views_shifts  # noqa: E402

urlpatterns += [
    path("shifts/", views_shifts.shifts_home, name="shifts"),
    path("shifts/<int:shift_id>/signup/", views_shifts.shift_signup_view, name="shift_signup"),
    path(
        "shifts/signups/<int:signup_id>/cancel/", views_shifts.signup_cancel_view, name="shift_signup_cancel"
    ),
    path(
        "shifts/signups/<int:signup_id>/check-in/", views_shifts.signup_check_in_view, name="shift_check_in"
    ),
    path(
        "shifts/signups/<int:signup_id>/check-out/",
        views_shifts.signup_check_out_view,
        name="shift_check_out",
    ),
    path("sessions/<int:session_id>/shifts/", views_shifts.session_shifts, name="session_shifts"),
]

# Staff pages of an activity: roster, export, cancel, message (events/views_staff.py)
from . import views_staff  # noqa: E402

urlpatterns += [
    path("staff/", views_staff.staff_activities, name="staff_activities"),
    path("staff/<int:pk>/", views_staff.activity_manage, name="manage"),
    path("staff/sessions/<int:session_id>/roster/", views_staff.roster, name="roster"),
    path("staff/sessions/<int:session_id>/roster.xlsx", views_staff.roster_export, name="roster_export"),
    path(
        "staff/sessions/<int:session_id>/roster/<int:registration_id>/cancel/",
        views_staff.roster_cancel_view,
        name="roster_cancel",
    ),
    path(
        "staff/sessions/<int:session_id>/roster/<int:registration_id>/offer/",
        views_staff.roster_offer_view,
        name="roster_offer",
    ),
    path("staff/sessions/<int:session_id>/cancel/", views_staff.session_cancel_view, name="session_cancel"),
    path(
        "staff/sessions/<int:session_id>/message/", views_staff.session_message_view, name="session_message"
    ),
]

# Lottery draw and its public result; staff booking on a resident's behalf
# (events/views_lottery.py, events/views_onbehalf.py)
from . import views_lottery, views_onbehalf  # noqa: E402

urlpatterns += [
    path("<int:activity_id>/lottery/draw/", views_lottery.lottery_draw_page, name="lottery_draw"),
    path("lottery/<int:draw_id>/", views_lottery.lottery_result, name="lottery_result"),
    path("lottery/<int:draw_id>/draw.json", views_lottery.lottery_result_json, name="lottery_result_json"),
    path("lottery/lottery_verify.py", views_lottery.lottery_verify_script, name="lottery_verify_script"),
    path("lottery/entry/<int:booking_id>/", views_lottery.lottery_entry, name="lottery_entry"),
    path("<int:pk>/on-behalf/", views_onbehalf.onbehalf_page, name="onbehalf"),
]

# Checkpoints, finishers, self check-in at the venue and its poster (events/views_checkpoints.py)
from . import views_checkpoints  # noqa: E402

urlpatterns += [
    path("checkpoints/<int:checkpoint_id>/", views_checkpoints.station_page, name="station"),
    path("<int:pk>/checkpoints/", views_checkpoints.checkpoints_overview, name="checkpoints"),
    path("<int:pk>/here/<str:code>/", views_checkpoints.venue_checkin, name="venue_checkin"),
    path("<int:pk>/poster/", views_checkpoints.venue_poster, name="venue_poster"),
]

# Staff create and change an activity (events/views_activity.py)
from . import views_activity  # noqa: E402

urlpatterns += [
    path("staff/new/", views_activity.activity_create_view, name="activity_create"),
    path("staff/<int:pk>/edit/", views_activity.activity_edit_view, name="activity_edit"),
]

# Sessions of an activity: add one, a course, a weekly schedule with its preview, drop-in days, change one
# (events/views_sessions.py)
from . import views_sessions  # noqa: E402

urlpatterns += [
    path("staff/<int:pk>/sessions/add/", views_sessions.session_add, name="session_add"),
    path("staff/<int:pk>/sessions/course/", views_sessions.course_add, name="session_course"),
    path("staff/<int:pk>/sessions/schedule/", views_sessions.schedule_page, name="session_schedule"),
    path("staff/<int:pk>/sessions/drop-in/", views_sessions.dropin_add, name="session_dropin"),
    path("staff/sessions/<int:session_id>/edit/", views_sessions.session_edit, name="session_edit"),
]
