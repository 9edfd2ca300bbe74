"""Events: the one registration engine every service area books through (issue #3).

Models in ``events.models``; writes in ``events.services`` (eligibility, booking, waitlist, lottery,
sessions); scoped reads in ``events.selectors``; the weekly recurrence on the official Chinese calendar
in ``events.recurrence``; Celery entry points in ``events.tasks``.

Glossary: one word for each thing
---------------------------------
The menu, the pages, the reminders and the notices say the same word for the same thing (issue 9).
English msgids on the left, the zh-Hans words on the right; tests/events/test_glossary.py holds them.

=========================  ==================  ============================================================
activity                   活动                what residents come to (a class, a clinic, a meeting)
session                    场次                one date and time of an activity
course                     课程                an activity booked once for all its sessions
booking / to book          预约                a first-come place; "Booked" 已预约; "Book" 预约
My bookings                我的预约            the page, the menu item and what messages point to
cancel (a booking)         取消预约
waitlist                   候补                "On the waitlist" 候补中; "Leave the waitlist" 退出候补
offered place              递补名额            a freed place held for someone on the waitlist
lottery / apply            抽签 / 报名抽签     an application is 抽签报名 (报名 is only for the lottery
                                               and for volunteer shifts, never for a booking)
ticket                     电子票              the QR code shown at the entrance
check-in                   签到
deadline                   ……截止 / ……前      midnight is 24:00 of the day before (events.deadline)
=========================  ==================  ============================================================
"""
