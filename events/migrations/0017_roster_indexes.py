"""The registrations of an activity that are not (or no longer) confirmed, indexed apart: the youth day
roster reads its counts from the session's check-ins and sign-outs and subtracts those of these few
registrations, instead of joining every child booked (issue 13)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0016_booking_audit_without_token"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="registration",
            index=models.Index(
                condition=models.Q(("status", "confirmed"), _negated=True),
                fields=["activity"],
                name="registration_unconfirmed",
            ),
        ),
    ]
