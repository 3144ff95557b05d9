"""Me too can't be inflated: limited, one each, not from suspended or brand-new accounts; staff emails batched."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.utils import timezone

from forum.actions import moderation
from forum.actions import threads as thread_actions
from forum.models import Notification
from swarm.actions import claims, escalations
from swarm.models import MeToo, MeTooEmail
from tests.conftest import age, client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(thread, customer, vendor, staff):
    escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
    return claims.claim(staff=staff, escalation=escalation)


def members(*names: str):
    people = [make_user(name) for name in names]
    age(*people)
    return people


def test_a_brand_new_account_is_refused_with_a_clear_message(thread, other_customer):
    client = client_for(other_customer)  # joined today
    response = client.post(f"/t/{thread.pk}/metoo/")
    assert response.status_code == 403
    assert "New accounts can say “me too” after 3 days" in unescape(response.content.decode())
    assert not MeToo.objects.exists()
    page = unescape(client.get(thread.get_absolute_url()).content.decode())  # the panel says why, up front
    assert "disabled" in page.split("New accounts can say “me too”")[0].rsplit("<button", 1)[1]
    age(other_customer)
    assert client_for(other_customer).post(f"/t/{thread.pk}/metoo/").status_code == 302
    assert MeToo.objects.count() == 1


def test_a_suspended_account_is_refused_with_the_suspension_notice(thread, other_customer, moderator):
    age(other_customer)
    moderation.suspend_user(moderator=moderator, user=other_customer, until=None, reason="sock puppets")
    response = client_for(other_customer).post(f"/t/{thread.pk}/metoo/")
    assert response.status_code == 403
    assert "Your account is suspended indefinitely" in unescape(response.content.decode())
    assert not MeToo.objects.exists()


def test_one_me_too_per_account_and_thread(thread, other_customer):
    age(other_customer)
    client = client_for(other_customer)
    client.post(f"/t/{thread.pk}/metoo/")
    again = client.post(f"/t/{thread.pk}/metoo/", follow=True)
    assert "You already said “me too” here." in unescape(again.content.decode())
    assert MeToo.objects.count() == 1


def test_me_too_is_rate_limited(settings, customer, other_customer):
    settings.BARNRAISE = {**settings.BARNRAISE, "RATE_LIMITS": {"metoo": (2, 600)}}
    age(other_customer)
    threads = [thread_actions.create_thread(author=customer, title=f"Problem number {i}", body="x") for i in range(3)]
    client = client_for(other_customer)
    codes = [client.post(f"/t/{t.pk}/metoo/").status_code for t in threads]
    assert codes == [302, 302, 429]
    assert MeToo.objects.count() == 2


def test_staff_get_one_me_too_email_per_thread_and_window(
    claimed, thread, staff, settings, django_capture_on_commit_callbacks
):
    settings.BARNRAISE = {**settings.BARNRAISE, "METOO_EMAIL_WINDOW_MINUTES": 60}
    first, second, third, late = members("ann", "bob", "cy", "dee")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for person in (first, second, third):
            escalations.add_metoo(user=person, thread=thread)
    to_staff = [m for m in mail.outbox if m.to == [staff.email]]
    assert len(to_staff) == 1  # three clicks, one email
    assert "said “me too” (1 person has this problem)" in to_staff[0].subject
    # The bell still hears of each one.
    assert Notification.objects.filter(recipient=staff, event__kind="metoo").count() == 3

    MeTooEmail.objects.update(sent_at=timezone.now() - timedelta(minutes=61))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        escalations.add_metoo(user=late, thread=thread)
    assert [m.subject for m in mail.outbox if m.to == [staff.email]] == [
        f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}dee said “me too” (4 people have this problem): {thread.title}"
    ]


def test_the_window_is_per_thread(customer, vendor, staff, django_capture_on_commit_callbacks):
    (person,) = members("ann")
    threads = []
    for i in range(2):
        t = thread_actions.create_thread(author=customer, title=f"Problem number {i}", body="x")
        claims.claim(staff=staff, escalation=escalations.escalate(user=customer, thread=t, handle="northwind"))
        threads.append(t)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for t in threads:
            escalations.add_metoo(user=person, thread=t)
    assert len([m for m in mail.outbox if m.to == [staff.email]]) == 2
