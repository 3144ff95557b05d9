# Moderation: review states on posts and threads, flags, suspensions and the moderators' audit log.
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0005_event_kinds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="post",
            name="review_state",
            field=models.CharField(
                choices=[
                    ("visible", "Visible"),
                    ("pending", "Waiting for review"),
                    ("hidden", "Hidden pending review"),
                    ("rejected", "Rejected"),
                ],
                default="visible",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="thread",
            name="review_state",
            field=models.CharField(
                choices=[
                    ("visible", "Visible"),
                    ("pending", "Waiting for review"),
                    ("hidden", "Hidden pending review"),
                    ("rejected", "Rejected"),
                ],
                default="visible",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="suspended_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="user",
            name="suspended_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="user",
            name="suspension_reason",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.CreateModel(
            name="Flag",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("spam", "Spam"),
                            ("abuse", "Rude or abusive"),
                            ("off_topic", "Off-topic"),
                            ("other", "Something else"),
                        ],
                        max_length=20,
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=500)),
                ("trusted", models.BooleanField(default=False)),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "Open"), ("dismissed", "Dismissed"), ("acted", "Acted on")],
                        default="open",
                        max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                (
                    "post",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="flags", to="forum.post"
                    ),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="flags", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["status", "post"], name="flag_status_post")],
                "constraints": [models.UniqueConstraint(fields=("post", "user"), name="flag_unique_post_user")],
            },
        ),
        migrations.CreateModel(
            name="ModerationLog",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("hide", "Hid a post"),
                            ("auto_hide", "Post hidden by flags"),
                            ("restore", "Restored a post"),
                            ("dismiss", "Dismissed flags"),
                            ("approve", "Approved a post"),
                            ("reject", "Rejected a post"),
                            ("suspend", "Suspended a user"),
                            ("unsuspend", "Lifted a suspension"),
                        ],
                        max_length=20,
                    ),
                ),
                ("reason", models.CharField(blank=True, max_length=500)),
                ("data", models.JSONField(blank=True, default=dict)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "moderator",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "post",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="forum.post",
                    ),
                ),
                (
                    "target_user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["target_user", "-created_at"], name="modlog_target_recent")],
            },
        ),
    ]
