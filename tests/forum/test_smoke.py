"""The site's main pages answer for visitors."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_lists_a_thread(client, thread):
    response = client.get(reverse("forum:home"))
    assert response.status_code == 200
    assert thread.title in response.text


@pytest.mark.django_db
def test_thread_page_shows_question_and_reply(client, thread, reply):
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    assert "<strong>wifi</strong>" in response.text
    assert "MAC randomisation" in response.text
