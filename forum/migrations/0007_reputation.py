# Reputation ledger, badges, and badge notices that may share an event with another notice.
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0006_moderation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReputationChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount", models.IntegerField()),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("upvote_received", "upvote received"),
                            ("answer_accepted", "answer accepted"),
                            ("accepted_an_answer", "accepted an answer"),
                            ("granted", "granted by the site"),
                        ],
                        max_length=24,
                    ),
                ),
                (
                    "note",
                    models.CharField(blank=True, help_text="Why points were granted by the site.", max_length=200),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name="UserBadge",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("badge", models.CharField(max_length=40)),
                (
                    "tag",
                    models.CharField(
                        blank=True, default="", help_text="Empty for badges not tied to a tag.", max_length=100
                    ),
                ),
                ("awarded_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.RemoveConstraint(
            model_name="notification",
            name="notification_once_per_event",
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "badge"), _negated=True),
                fields=("recipient", "event"),
                name="notification_once_per_event",
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "badge")), fields=("recipient", "event"), name="notification_badge_once"
            ),
        ),
        migrations.AddField(
            model_name="reputationchange",
            name="counterpart",
            field=models.ForeignKey(
                blank=True,
                help_text="Who caused the change: the voter, or the other side of an acceptance.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="reputationchange",
            name="post",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="reputation_changes",
                to="forum.post",
            ),
        ),
        migrations.AddField(
            model_name="reputationchange",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="reputation_changes",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="userbadge",
            name="event",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="forum.event"
            ),
        ),
        migrations.AddField(
            model_name="userbadge",
            name="post",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="forum.post"
            ),
        ),
        migrations.AddField(
            model_name="userbadge",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="badges", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddIndex(
            model_name="reputationchange",
            index=models.Index(fields=["created_at", "user"], name="repchange_window"),
        ),
        migrations.AddIndex(
            model_name="reputationchange",
            index=models.Index(fields=["user", "reason", "counterpart", "created_at"], name="repchange_pair"),
        ),
        migrations.AddIndex(
            model_name="reputationchange",
            index=models.Index(fields=["post", "reason"], name="repchange_post"),
        ),
        migrations.AddIndex(
            model_name="userbadge",
            index=models.Index(fields=["badge", "tag"], name="userbadge_badge"),
        ),
        migrations.AddConstraint(
            model_name="userbadge",
            constraint=models.UniqueConstraint(fields=("user", "badge", "tag"), name="userbadge_once"),
        ),
    ]
