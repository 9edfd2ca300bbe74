import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0002_hours_ledger")]
    operations = [
        # loose-a: each issued hours certificate, checked on the public verification page
        migrations.CreateModel(
            name="Certificate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code", models.CharField(max_length=20, unique=True, verbose_name="verification code")),
                ("name", models.CharField(max_length=50, verbose_name="name as printed")),
                ("date_from", models.DateField(blank=True, null=True, verbose_name="period from")),
                ("date_to", models.DateField(blank=True, null=True, verbose_name="period to")),
                ("hours", models.DecimalField(decimal_places=2, max_digits=8, verbose_name="approved hours")),
                ("issued_on", models.DateField(verbose_name="date issued")),
                (
                    "issued_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="issued at"),
                ),
                (
                    "volunteer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="certificates",
                        to="volunteers.volunteerprofile",
                        verbose_name="volunteer",
                    ),
                ),
            ],
            options={
                "verbose_name": "hours certificate",
                "verbose_name_plural": "hours certificates",
                "ordering": ["-issued_at"],
            },
        ),
    ]
