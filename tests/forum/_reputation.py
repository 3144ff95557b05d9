"""Helpers for the reputation, badge and leaderboard tests."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from forum.models import ReputationChange, User
from tests.conftest import make_user


def veteran(username: str, reputation: int = 100) -> User:
    """An account old enough, and trusted enough, for its votes to earn points."""
    return make_user(username, date_joined=timezone.now() - timedelta(days=60), reputation=reputation)


def ledger_sum(user: User) -> int:
    return ReputationChange.objects.filter(user=user).aggregate(total=Sum("amount"))["total"] or 0


def rep(user: User) -> int:
    user.refresh_from_db(fields=["reputation"])
    return user.reputation


def establish(user: User, points: int = 20) -> User:
    """Make an account old and trusted enough that its acceptances and votes earn points (through the ledger)."""
    from django.db import transaction

    from forum import reputation

    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=60))
    with transaction.atomic():
        reputation.granted(by=user, user=user, amount=points, note="established for a test")
    user.refresh_from_db()
    return user
