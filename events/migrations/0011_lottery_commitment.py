"""Lottery seed commitments: the seed of each lottery pool is chosen by the portal and its SHA-256
published before anyone applies (issue 10, "a lottery no one can steer").

The data step gives every lottery pool not yet drawn its commitment, made now. A pool that already has
applications gets one too, honestly dated now: the draw then refuses it (committed after the first
application), rather than trusting a seed fixed once the entries were known.
"""

import hashlib
import secrets

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def commit_existing_lotteries(apps, schema_editor):
    Activity = apps.get_model("events", "Activity")
    Session = apps.get_model("events", "Session")
    LotteryCommitment = apps.get_model("events", "LotteryCommitment")
    LotteryDraw = apps.get_model("events", "LotteryDraw")
    now = django.utils.timezone.now()
    drawn = set(LotteryDraw.objects.values_list("activity_id", "session_id"))
    made = set(LotteryCommitment.objects.values_list("activity_id", "session_id"))
    rows = []
    for activity in Activity.objects.filter(allocation="lottery").order_by("pk"):
        if activity.registration_scope == "course":
            pools = [None]
        else:
            pools = list(
                Session.objects.filter(activity_id=activity.pk).order_by("pk").values_list("pk", flat=True)
            )
        for session_id in pools:
            key = (activity.pk, session_id)
            if key in drawn or key in made:
                continue
            seed = secrets.token_hex(32)
            rows.append(
                LotteryCommitment(
                    activity_id=activity.pk,
                    session_id=session_id,
                    seed=seed,
                    seed_sha256=hashlib.sha256(seed.encode("utf-8")).hexdigest(),
                    committed_at=now,
                )
            )
    LotteryCommitment.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("events", "0010_message_wording")]
    operations = [
        migrations.CreateModel(
            name="LotteryCommitment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seed", models.CharField(editable=False, max_length=100, verbose_name="seed")),
                (
                    "seed_sha256",
                    models.CharField(editable=False, max_length=64, verbose_name="SHA-256 of the seed"),
                ),
                (
                    "committed_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="committed at"
                    ),
                ),
                (
                    "activity",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lottery_commitments",
                        to="events.activity",
                        verbose_name="activity",
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lottery_commitments",
                        to="events.session",
                        verbose_name="session",
                    ),
                ),
            ],
            options={
                "verbose_name": "lottery seed commitment",
                "verbose_name_plural": "lottery seed commitments",
                "ordering": ["activity", "session", "id"],
            },
        ),
        migrations.AddField(
            model_name="lotterydraw",
            name="commitment",
            field=models.OneToOneField(
                blank=True,
                help_text="Empty only for draws made before seeds were committed in advance.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="draw",
                to="events.lotterycommitment",
                verbose_name="seed commitment",
            ),
        ),
        migrations.AddConstraint(
            model_name="lotterycommitment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("session__isnull", False)),
                fields=("activity", "session"),
                name="lottery_one_commitment_per_session",
            ),
        ),
        migrations.AddConstraint(
            model_name="lotterycommitment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("session__isnull", True)),
                fields=("activity",),
                name="lottery_one_commitment_per_course",
            ),
        ),
        migrations.RunPython(commit_existing_lotteries, migrations.RunPython.noop),
    ]
