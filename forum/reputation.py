"""The reputation ledger: the only code that changes ``User.reputation``.

Actions call these functions inside their transaction. Each grant writes one
``ReputationChange`` row with the amount actually given and adds it to the
user's total with ``F()``; each undo deletes the row and subtracts its amount,
so ``User.reputation`` always equals the sum of the user's rows. Rules and
numbers: docs/reputation.md and settings.BARNRAISE["REPUTATION"].
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone

from forum.models import Post, ReputationChange, User

Reason = ReputationChange.Reason

DEFAULTS = {
    "UPVOTE": 10,
    "ACCEPTED": 15,
    "ACCEPTER": 2,
    "NEW_VOTER_DAYS": 7,
    "NEW_VOTER_MIN_REPUTATION": 15,
    "PAIR_WINDOW_DAYS": 30,
    "PAIR_MAX_VOTES": 5,
}


def rule(name: str) -> int:
    """One number from settings.BARNRAISE["REPUTATION"], with the documented default."""
    return settings.BARNRAISE.get("REPUTATION", {}).get(name, DEFAULTS[name])


def _grant(
    *, user_id: int, amount: int, reason: str, post: Post | None, counterpart_id: int, note: str = ""
) -> ReputationChange:
    change = ReputationChange.objects.create(
        user_id=user_id, amount=amount, reason=reason, post=post, counterpart_id=counterpart_id, note=note
    )
    if amount:
        User.objects.filter(pk=user_id).update(reputation=F("reputation") + amount)
    return change


def _take_back(changes: QuerySet[ReputationChange]) -> int:
    """Delete the rows and subtract each one's amount from its user; returns the total taken."""
    taken = 0
    for change in changes.select_for_update().order_by("user_id", "id"):  # one lock order: no deadlocks
        if change.amount:
            User.objects.filter(pk=change.user_id).update(reputation=F("reputation") - change.amount)
        taken += change.amount
        change.delete()
    return taken


def is_new_voter(voter: User) -> bool:
    """Votes from accounts this young or with this little reputation earn their target nothing."""
    if voter.date_joined > timezone.now() - timedelta(days=rule("NEW_VOTER_DAYS")):
        return True
    return voter.reputation < rule("NEW_VOTER_MIN_REPUTATION")


def vote_points(*, voter: User, author_id: int) -> int:
    """What an upvote from ``voter`` to ``author_id`` is worth now (see docs/reputation.md)."""
    voter = User.objects.only("date_joined", "reputation").get(pk=voter.pk)  # fresh, not the request's copy
    if is_new_voter(voter):
        return 0
    # Lock the receiver's row (a vote changes only that user row): concurrent votes to one person count in turn.
    # NO KEY: the ledger rows' foreign keys to users are checked at commit (FOR KEY SHARE); two people voting
    # for each other at once would otherwise each wait for the other's lock.
    User.objects.select_for_update(no_key=True).filter(pk=author_id).values_list("pk", flat=True).get()
    if pair_cap_reached(giver_id=voter.pk, receiver_id=author_id):
        return 0
    return rule("UPVOTE")


# What one person gives another: upvotes and acceptances share one budget per pair and window.
PAIR_REASONS = (Reason.UPVOTE_RECEIVED, Reason.ANSWER_ACCEPTED)


def pair_cap_reached(*, giver_id: int, receiver_id: int) -> bool:
    """Whether ``giver_id`` has already paid ``receiver_id`` PAIR_MAX_VOTES times within PAIR_WINDOW_DAYS.

    The caller holds the receiver's row lock, so concurrent grants to one person are counted in turn.
    """
    since = timezone.now() - timedelta(days=rule("PAIR_WINDOW_DAYS"))
    earlier = ReputationChange.objects.filter(
        user_id=receiver_id, reason__in=PAIR_REASONS, counterpart_id=giver_id, amount__gt=0, created_at__gte=since
    ).count()
    return earlier >= rule("PAIR_MAX_VOTES")


def vote_given(*, voter: User, post: Post) -> ReputationChange:
    """An upvote on ``post``: its author earns what the vote is worth (maybe 0)."""
    amount = vote_points(voter=voter, author_id=post.author_id)
    return _grant(
        user_id=post.author_id, amount=amount, reason=Reason.UPVOTE_RECEIVED, post=post, counterpart_id=voter.pk
    )


def vote_withdrawn(*, voter: User, post: Post) -> int:
    """The vote is taken back: so is exactly what it gave."""
    return _take_back(ReputationChange.objects.filter(post=post, reason=Reason.UPVOTE_RECEIVED, counterpart=voter))


def accept_points(*, asker: User, answerer_id: int) -> int:
    """What an acceptance by ``asker`` is worth to the answerer: nothing from a new account or past the pair cap."""
    asker = User.objects.only("date_joined", "reputation").get(pk=asker.pk)  # fresh, not the request's copy
    if is_new_voter(asker):
        return 0
    if pair_cap_reached(giver_id=asker.pk, receiver_id=answerer_id):
        return 0
    return rule("ACCEPTED")


def lock_users(user_ids: list[int | None]) -> None:
    """Lock these users' rows in id order, the order every multi-user change here uses.

    A change that touches several people in steps (undo one acceptance, grant another) locks
    them all first: locking step by step took them out of order and deadlocked under load.
    """
    ids = sorted({pk for pk in user_ids if pk is not None})
    list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def answer_accepted(*, asker: User, post: Post) -> None:
    """The answerer earns ACCEPTED points (or 0, see accept_points) and the asker ACCEPTER points.

    Nothing for accepting oneself. Both user rows are locked, then updated, in id order, the order
    every multi-user change here uses.
    """
    if post.author_id == asker.pk:
        return
    lock_users([asker.pk, post.author_id])
    grants = [
        (post.author_id, accept_points(asker=asker, answerer_id=post.author_id), Reason.ANSWER_ACCEPTED, asker.pk),
        (asker.pk, rule("ACCEPTER"), Reason.ACCEPTED_AN_ANSWER, post.author_id),
    ]
    for user_id, amount, reason, counterpart_id in sorted(grants):
        _grant(user_id=user_id, amount=amount, reason=reason, post=post, counterpart_id=counterpart_id)


def acceptance_undone(*, post_id: int) -> int:
    """The answer is no longer accepted (reopened, or another accepted): both grants are taken back."""
    return _take_back(
        ReputationChange.objects.filter(post_id=post_id, reason__in=[Reason.ANSWER_ACCEPTED, Reason.ACCEPTED_AN_ANSWER])
    )


def granted(*, by: User, user: User, amount: int, note: str) -> ReputationChange:
    """Points granted by the site (forum.actions.reputation.grant_reputation checks who may)."""
    return _grant(user_id=user.pk, amount=amount, reason=Reason.GRANTED, post=None, counterpart_id=by.pk, note=note)
