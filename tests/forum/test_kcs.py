"""The KCS loop (issue 15): matching while asking, content gaps, reuse of articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import client_for

from .knowledge_helpers import solved_thread

pytestmark = pytest.mark.django_db


def _suggested_titles(client, title: str) -> str:
    response = client.get("/ask/suggest/", {"title": title}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.text


def test_ask_suggestions_find_a_thread_by_another_name_for_its_tag(customer, expert, other_customer):
    solved_thread(customer, expert, "Battery drains overnight on my phone", "Turn off background refresh.")
    # Nothing in common but "phone" would be too weak; "charge" is the battery tag's other name.
    assert "Battery drains overnight" in _suggested_titles(client_for(other_customer), "Tablet charge gone by morning")


def test_matching_set_is_large_enough_and_labels_existing_threads():
    data = json.loads((Path(__file__).parents[2] / "bench/matching/pairs.json").read_text())
    keys = {t["key"] for t in data["threads"]}
    assert len(data["pairs"]) >= 200
    assert all(p["answer"] in keys for p in data["pairs"])
    titles = {t["key"]: t["title"] for t in data["threads"]}
    assert all(p["title"] != titles[p["answer"]] for p in data["pairs"])  # written differently
