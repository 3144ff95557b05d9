# Follows of tags and vendors, notification settings, image attachments (issue 5: community).
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import forum.models.community


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0007_reputation"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Attachment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("file", models.FileField(max_length=200, upload_to=forum.models.community.attachment_path)),
                ("original_name", models.CharField(max_length=120)),
                ("content_type", models.CharField(max_length=20)),
                ("size", models.PositiveIntegerField()),
                ("width", models.PositiveIntegerField()),
                ("height", models.PositiveIntegerField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "post",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="attachments", to="forum.post"
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["post", "id"],
            },
        ),
        migrations.CreateModel(
            name="NotificationSettings",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="notification_settings",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "new_thread_live",
                    models.BooleanField(
                        default=True, verbose_name="Tell me live about new threads in tags and vendors I follow"
                    ),
                ),
                (
                    "daily_digest",
                    models.BooleanField(
                        default=False,
                        verbose_name="Email me a daily digest of new threads in tags and vendors I follow",
                    ),
                ),
                (
                    "email_replies_mentions",
                    models.BooleanField(
                        default=False, verbose_name="Email me when someone replies on a thread I follow or mentions me"
                    ),
                ),
                ("digest_sent_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name_plural": "notification settings",
                "indexes": [
                    models.Index(
                        condition=models.Q(("daily_digest", True)), fields=["user"], name="notifsettings_digest"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="TagFollow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "tag",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="follows", to="taggit.tag"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tag_follows",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["tag", "user"], name="tagfollow_by_tag")],
                "constraints": [models.UniqueConstraint(fields=("user", "tag"), name="tagfollow_unique")],
            },
        ),
        migrations.CreateModel(
            name="VendorFollow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="vendor_follows",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "vendor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="follows", to="forum.vendor"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["vendor", "user"], name="vendorfollow_by_vendor")],
                "constraints": [models.UniqueConstraint(fields=("user", "vendor"), name="vendorfollow_unique")],
            },
        ),
    ]
