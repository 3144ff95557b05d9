"""Reputation: points given and taken back by votes and acceptance, anti-farming, privileges, retagging."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from forum.actions import posts as post_actions
from forum.actions import tags as tag_actions
from forum.actions import threads as thread_actions
from forum.actions import votes as vote_actions
from forum.models import Event, EventKind, ReputationChange, Thread
from tests.conftest import client_for, make_user
from tests.forum._reputation import establish, ledger_sum, rep, veteran

pytestmark = pytest.mark.django_db


def answers_by(author, count: int, asker) -> list:
    """``count`` replies by ``author``, each on its own thread asked by ``asker``."""
    posts = []
    for n in range(count):
        thread = thread_actions.create_thread(author=asker, title=f"Problem number {n}", body="It broke.", tags="wifi")
        posts.append(post_actions.reply(author=author, thread=thread, body=f"Fix {n}"))
    return posts


def test_an_upvote_gives_ten_and_withdrawing_takes_them_back(reply, expert):
    voter = veteran("vera")
    before = rep(expert)
    vote_actions.upvote(user=voter, post=reply)
    assert rep(expert) == before + 10
    change = ReputationChange.objects.get(user=expert)
    assert (change.amount, change.reason, change.counterpart, change.post) == (10, "upvote_received", voter, reply)
    vote_actions.withdraw_vote(user=voter, post=reply)
    assert rep(expert) == before
    assert not ReputationChange.objects.exists()


def test_a_vote_from_a_brand_new_account_counts_in_the_score_but_gives_nothing(reply, expert):
    newcomer = make_user("newbie", reputation=1000)  # joined today
    before = rep(expert)
    assert vote_actions.upvote(user=newcomer, post=reply) == 1
    assert rep(expert) == before
    assert ReputationChange.objects.get(user=expert).amount == 0
    vote_actions.withdraw_vote(user=newcomer, post=reply)
    assert rep(expert) == before


def test_a_vote_from_an_old_account_with_little_reputation_gives_nothing(reply, expert):
    before = rep(expert)
    vote_actions.upvote(user=veteran("lowrep", reputation=14), post=reply)
    assert rep(expert) == before
    vote_actions.upvote(user=veteran("enough", reputation=15), post=reply)
    assert rep(expert) == before + 10


def test_the_new_voter_age_comes_from_settings(settings, reply, expert):
    settings.BARNRAISE = {**settings.BARNRAISE, "REPUTATION": {"NEW_VOTER_DAYS": 0}}
    before = rep(expert)
    vote_actions.upvote(user=make_user("fresh", reputation=20), post=reply)
    assert rep(expert) == before + 10


def test_only_the_first_five_votes_between_two_people_in_30_days_give_points(customer):
    author = make_user("author")
    voter = veteran("fan")
    posts = answers_by(author, 7, customer)
    for post in posts[:6]:
        vote_actions.upvote(user=voter, post=post)
    assert rep(author) == 50
    assert ReputationChange.objects.get(post=posts[5]).amount == 0
    # Undoing the vote that gave nothing takes back nothing; undoing a paying one takes back 10.
    vote_actions.withdraw_vote(user=voter, post=posts[5])
    assert rep(author) == 50
    vote_actions.withdraw_vote(user=voter, post=posts[0])
    assert rep(author) == 40
    # With one paying vote withdrawn, the next vote pays again.
    vote_actions.upvote(user=voter, post=posts[6])
    assert rep(author) == 50
    # Votes older than the window no longer count against the pair.
    ReputationChange.objects.filter(user=author).update(created_at=timezone.now() - timedelta(days=31))
    vote_actions.upvote(user=voter, post=posts[5])
    assert rep(author) == 60
    # Another voter is not limited by the first one's votes.
    vote_actions.upvote(user=veteran("second"), post=posts[0])
    assert rep(author) == 70
    assert rep(author) == ledger_sum(author)


ACCEPT_REASONS = [ReputationChange.Reason.ANSWER_ACCEPTED, ReputationChange.Reason.ACCEPTED_AN_ANSWER]


def test_accepting_gives_fifteen_to_the_answerer_and_two_to_the_asker(thread, customer, reply, expert):
    expert_before, customer_before = rep(expert), rep(establish(customer))
    thread_actions.accept_answer(user=customer, thread=thread, post=reply)
    assert rep(expert) == expert_before + 15
    assert rep(customer) == customer_before + 2
    thread_actions.reopen_thread(user=customer, thread=thread)
    assert rep(expert) == expert_before
    assert rep(customer) == customer_before
    assert not ReputationChange.objects.filter(reason__in=ACCEPT_REASONS).exists()


def test_accepting_another_answer_moves_the_points(thread, customer, reply, expert, other_customer):
    expert_before, customer_before = rep(expert), rep(establish(customer))
    second = post_actions.reply(author=other_customer, thread=thread, body="Or update the router.")
    thread_actions.accept_answer(user=customer, thread=thread, post=reply)
    thread_actions.accept_answer(user=customer, thread=thread, post=second)
    assert rep(expert) == expert_before
    assert rep(other_customer) == 15
    assert rep(customer) == customer_before + 2
    # Accepting the same answer again changes nothing.
    thread_actions.accept_answer(user=customer, thread=thread, post=second)
    assert (rep(other_customer), rep(customer)) == (15, customer_before + 2)


def test_an_acceptance_from_a_brand_new_account_gives_the_answerer_nothing(thread, customer, reply, expert):
    expert_before = rep(expert)  # jeff joined today with no reputation
    thread_actions.accept_answer(user=customer, thread=thread, post=reply)
    assert rep(expert) == expert_before
    assert ReputationChange.objects.get(user=expert, reason=ReputationChange.Reason.ANSWER_ACCEPTED).amount == 0
    thread_actions.reopen_thread(user=customer, thread=thread)  # taking back 0 takes back 0
    assert rep(expert) == expert_before


def test_an_old_account_with_little_reputation_is_still_new_for_acceptances(thread, customer, reply, expert):
    from forum.models import User

    User.objects.filter(pk=customer.pk).update(date_joined=timezone.now() - timedelta(days=60))
    before = rep(expert)
    thread_actions.accept_answer(user=customer, thread=thread, post=reply)
    assert rep(expert) == before  # 0 reputation < NEW_VOTER_MIN_REPUTATION


def test_acceptances_share_the_pair_cap_with_votes(settings, customer):
    """Within the window only PAIR_MAX_VOTES paying grants go from one person to another, votes and accepts alike."""
    establish(customer)
    author = make_user("author")
    posts = answers_by(author, 4, customer)
    vote_actions.upvote(user=customer, post=posts[0])
    vote_actions.upvote(user=customer, post=posts[1])
    for post in posts[:3]:
        thread_actions.accept_answer(user=customer, thread=Thread.objects.get(pk=post.thread_id), post=post)
    assert rep(author) == 2 * 10 + 3 * 15  # five paying grants: the cap
    thread_actions.accept_answer(user=customer, thread=Thread.objects.get(pk=posts[3].thread_id), post=posts[3])
    assert rep(author) == 65  # the sixth from the same person gives nothing
    assert ledger_sum(author) == rep(author)
    ReputationChange.objects.filter(user=author).update(created_at=timezone.now() - timedelta(days=31))
    thread_actions.reopen_thread(user=customer, thread=Thread.objects.get(pk=posts[3].thread_id))
    thread_actions.accept_answer(user=customer, thread=Thread.objects.get(pk=posts[3].thread_id), post=posts[3])
    assert rep(author) == 80  # outside the window the budget is fresh


def test_accepting_your_own_reply_gives_no_points(thread, customer):
    own = post_actions.reply(author=customer, thread=thread, body="Fixed it myself: new driver.")
    thread_actions.accept_answer(user=customer, thread=thread, post=own)
    assert rep(customer) == 0
    assert not ReputationChange.objects.exists()


def test_reputation_always_equals_the_ledger_after_random_actions(customer, other_customer):
    rng = random.Random(5)
    askers = [customer, other_customer]
    answerers = [make_user(f"answerer{n}") for n in range(3)]
    voters = [veteran(f"voter{n}", reputation=50) for n in range(3)] + [make_user("newvoter")]
    baseline = {u.pk: rep(u) for u in [*askers, *answerers, *voters]}
    threads = [
        thread_actions.create_thread(author=askers[n % 2], title=f"Random problem {n}", body="Broken.", tags="wifi")
        for n in range(3)
    ]
    posts = [post_actions.reply(author=a, thread=t, body="Try this.") for t in threads for a in answerers]
    for _ in range(150):
        post = rng.choice(posts)
        thread = Thread.objects.get(pk=post.thread_id)
        choice = rng.random()
        try:
            if choice < 0.45:
                vote_actions.upvote(user=rng.choice(voters), post=post)
            elif choice < 0.75:
                vote_actions.withdraw_vote(user=rng.choice(voters), post=post)
            elif choice < 0.9:
                thread_actions.accept_answer(user=thread.author, thread=thread, post=post)
            else:
                thread_actions.reopen_thread(user=thread.author, thread=thread)
        except ValidationError:
            pass
        for user in [*askers, *answerers, *voters]:
            assert rep(user) - baseline[user.pk] == ledger_sum(user)
    assert ReputationChange.objects.filter(amount__gt=0).exists()


# Privileges and retagging.


def test_the_author_can_retag_and_the_change_is_on_the_timeline(thread, customer):
    retagged = tag_actions.retag(user=customer, thread=thread, tags="wifi router")
    assert sorted(retagged.tags.names()) == ["router", "wifi"]
    event = Event.objects.filter(thread=thread).latest("seq")
    assert event.kind == EventKind.RETAGGED
    assert event.data == {"old": ["tablet", "wifi"], "new": ["router", "wifi"]}


def test_retagging_someone_elses_thread_needs_the_privilege(settings, thread, other_customer, expert, moderator):
    with pytest.raises(PermissionDenied, match="needs 500 reputation; you have 0"):
        tag_actions.retag(user=other_customer, thread=thread, tags="router")
    assert sorted(thread.tags.names()) == ["tablet", "wifi"]
    tag_actions.retag(user=expert, thread=thread, tags="router")  # expert has 500
    tag_actions.retag(user=moderator, thread=thread, tags="wifi")
    assert list(thread.tags.names()) == ["wifi"]
    settings.BARNRAISE = {**settings.BARNRAISE, "PRIVILEGES": {**settings.BARNRAISE["PRIVILEGES"], "retag": 600}}
    with pytest.raises(PermissionDenied, match="needs 600"):
        tag_actions.retag(user=expert, thread=thread, tags="router")


def test_bad_or_unchanged_tags_change_nothing(thread, customer):
    seq = Thread.objects.get(pk=thread.pk).last_seq
    with pytest.raises(ValidationError, match="unchanged"):
        tag_actions.retag(user=customer, thread=thread, tags="tablet wifi")
    with pytest.raises(ValidationError, match="not a valid tag"):
        tag_actions.retag(user=customer, thread=thread, tags="ok <script>")
    with pytest.raises(ValidationError, match="at most"):
        tag_actions.retag(user=customer, thread=thread, tags="a b c d e f")
    assert sorted(thread.tags.names()) == ["tablet", "wifi"]
    assert Thread.objects.get(pk=thread.pk).last_seq == seq


def test_retag_from_the_thread_page(thread, customer, other_customer):
    page = client_for(customer).get(thread.get_absolute_url())
    assert "Edit tags" in page.text
    assert "Edit tags" not in client_for(other_customer).get(thread.get_absolute_url()).text
    url = reverse("forum:retag", args=[thread.pk])
    response = client_for(customer).post(url, {"tags": "wifi, sleep"}, follow=True)
    assert "Tags updated." in response.text
    # the page read before the retag is cached; the new tags show at once all the same
    assert "/tags/sleep/" in response.text and "/tags/tablet/" not in response.text
    assert sorted(thread.tags.names()) == ["sleep", "wifi"]
    refused = client_for(other_customer).post(url, {"tags": "spam"})
    assert refused.status_code == 403
    assert "needs 500 reputation" in refused.text
    bad = client_for(customer).post(url, {"tags": "\x00<b>"}, follow=True)
    assert bad.status_code == 200
    assert "not a valid tag" in bad.text
    assert client_for(None).post(url, {"tags": "x"}).status_code == 302
    assert client_for(customer).post(reverse("forum:retag", args=[999999]), {"tags": "x"}).status_code == 404


def test_the_profile_shows_reputation_privileges_and_what_the_next_one_needs(customer, expert):
    page = client_for(None).get(reverse("forum:profile", args=[expert.username]))
    assert "<strong>500</strong> reputation" in page.text
    assert "✓ Change the tags of anyone&#x27;s thread" in page.text
    assert "500 more reputation needed" in page.text  # mark_duplicate at 1000
    page = client_for(None).get(reverse("forum:profile", args=[customer.username]))
    assert "15 more reputation needed" in page.text


def test_reputation_is_shown_next_to_author_names(thread, reply, expert):
    page = client_for(None).get(thread.get_absolute_url())
    assert '<span class="rep" title="Reputation">500</span>' in page.text


def test_site_admins_grant_reputation_through_the_ledger_and_it_stays_off_the_boards(customer, moderator):
    from forum import reputation_selectors
    from forum.actions import reputation as reputation_actions

    admin = make_user("root", is_superuser=True)
    reputation_actions.grant_reputation(by=admin, user=customer, amount=500, note="Imported from the old forum")
    assert rep(customer) == 500 == ledger_sum(customer)
    assert reputation_selectors.leaderboard(period="all") == []
    with pytest.raises(PermissionDenied):
        reputation_actions.grant_reputation(by=moderator, user=customer, amount=5, note="Nice")
    for amount, note in [(0, "x"), (20_000, "x"), (5, "  "), (5, "x" * 201)]:
        with pytest.raises(ValidationError):
            reputation_actions.grant_reputation(by=admin, user=customer, amount=amount, note=note)
    assert rep(customer) == 500


def test_the_profile_lists_recent_reputation_in_a_fixed_number_of_queries(customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    author = make_user("author")
    establish(customer)
    posts = answers_by(author, 2, customer)
    vote_actions.upvote(user=veteran("fan"), post=posts[0])
    url = reverse("forum:profile", args=[author.username])
    with CaptureQueriesContext(connection) as small:
        page = client_for(None).get(url)
    assert "+10</span> upvote received" in page.text
    assert "Problem number 0" in page.text
    for n, post in enumerate(answers_by(author, 6, customer)):
        vote_actions.upvote(user=veteran(f"fan{n}"), post=post)
        thread_actions.accept_answer(user=customer, thread=Thread.objects.get(pk=post.thread_id), post=post)
    with CaptureQueriesContext(connection) as large:
        page = client_for(None).get(url)
    assert "+15</span> answer accepted" in page.text
    assert len(large) == len(small)
