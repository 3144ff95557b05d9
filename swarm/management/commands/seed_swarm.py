"""Add the swarm workflow to the demo community: escalations in every state, me-toos, notes, radar.

Runs after ``seed_demo`` and, like it, writes only through the actions. Safe to
run twice: it does nothing when the demo radar is already set.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils import timezone

from forum import ratelimit
from forum.actions import posts as post_actions
from forum.models import Membership, Thread, User, Vendor
from swarm.actions import claims, escalations, notes, radar
from swarm.models import Escalation, RadarKeyword

KEYWORDS = {"northwind": ["slate", "aero"], "bluewave": ["hotspot", "sim card"], "fabrikam": ["backup"]}


class Command(BaseCommand):
    help = "Add demo escalations, claims, ratings and radar keywords (after seed_demo)."

    def handle(self, *args, **options) -> None:
        # Demo people have example.com-style addresses: keep their notification emails in memory.
        mailers = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
        with override_settings(MAILERS=mailers), ratelimit.exempt():  # demo data: many me-toos per person
            self._seed()

    def _seed(self) -> None:
        if RadarKeyword.objects.exists() or not Thread.objects.exists():
            self.stdout.write("Swarm demo data already present (or no threads yet); nothing to do.")
            return
        rng = random.Random(7)
        vendors = {v.handle: v for v in Vendor.objects.all()}
        for handle, phrases in KEYWORDS.items():
            vendor = vendors.get(handle)
            admin = self._staff(vendor, role=Membership.Role.ADMIN)
            if vendor is None or admin is None:
                continue
            for phrase in phrases:
                radar.add_keyword(admin=admin, vendor=vendor, phrase=phrase)
        customers = list(User.objects.filter(memberships__isnull=True, is_moderator=False, is_superuser=False))
        threads = list(
            Thread.objects.filter(status=Thread.Status.OPEN, vendor_links__isnull=False)
            .prefetch_related("vendor_links__vendor")
            .distinct()
            .order_by("-created_at")[:24]
        )
        for i, thread in enumerate(threads):
            vendor = thread.vendor_links.all()[0].vendor
            staff = self._staff(vendor)
            try:
                escalation = escalations.escalate(user=thread.author, thread=thread, handle=vendor.handle)
            except ValidationError:
                escalation = Escalation.objects.filter(thread=thread, vendor=vendor).latest("created_at", "pk")
            for person in rng.sample(customers, k=min(len(customers), rng.randint(0, 4))):
                if person.pk != thread.author_id:
                    escalations.add_metoo(user=person, thread=thread)
            stage = i % 6
            if stage >= 2 and staff is not None:
                claims.claim(staff=staff, escalation=escalation)
                post_actions.reply(
                    author=staff, thread=thread, body="Thanks for the details. Checking this with our engineers now."
                )
            if stage == 3 and staff is not None:
                notes.add_note(
                    staff=staff,
                    thread=thread,
                    vendor=vendor,
                    body="Matches the known firmware issue; fix ships next week.",
                )
            if stage >= 4 and staff is not None:
                claims.resolve(staff=staff, escalation=escalation)
            if stage == 5:
                claims.confirm(user=thread.author, escalation=escalation, solved=True)
                claims.rate(user=thread.author, escalation=escalation, rating=rng.choice([3, 4, 5, 5]), comment="")
            age = (timezone.now() - thread.created_at).days
            self._backdate(escalation, days=min(rng.randint(1, 80), max(age - 1, 0)))
        # Escalations made by @mentions while seed_demo ran carry today's date: move them to their thread's age.
        now = timezone.now()
        for escalation in Escalation.objects.filter(created_at__gt=now - timedelta(hours=1)).select_related("thread"):
            self._backdate(escalation, days=max(0, (now - escalation.thread.created_at).days))
        self.stdout.write(self.style.SUCCESS(f"Swarm demo ready: {Escalation.objects.count()} escalations."))

    def _staff(self, vendor: Vendor | None, role: str | None = None) -> User | None:
        if vendor is None:
            return None
        memberships = Membership.objects.filter(vendor=vendor, status=Membership.Status.VERIFIED)
        if role:
            memberships = memberships.filter(role=role)
        membership = memberships.select_related("user").order_by("pk").first()
        return membership.user if membership else None

    def _backdate(self, escalation: Escalation, days: int) -> None:
        """Spread the demo over the last months, keeping each escalation's own intervals."""
        escalation.refresh_from_db()
        shift = timedelta(days=days)
        fields = [
            "created_at",
            "claimed_at",
            "first_claimed_at",
            "last_staff_activity_at",
            "first_staff_reply_at",
            "resolved_at",
            "confirmed_at",
            "rated_at",
            "customer_posted_at",
        ]
        spread = timedelta(hours=random.Random(escalation.pk).randint(1, 40))
        updates = {}
        for name in fields:
            value = getattr(escalation, name)
            if value is not None:
                updates[name] = (
                    value - shift + (spread if name not in ("created_at", "customer_posted_at") else timedelta())
                )
        Escalation.objects.filter(pk=escalation.pk).update(**updates)
