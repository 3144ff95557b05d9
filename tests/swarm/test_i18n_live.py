"""Live frames in each watcher's language: a German reader's socket never gets English (or Spanish) words."""

import pytest
from channels.db import database_sync_to_async
from django.utils import translation

from forum.actions import posts as post_actions
from forum.timeline import presenter
from tests.swarm.test_consumers import ORIGIN, connect

pytestmark = pytest.mark.django_db(transaction=True)


async def test_each_socket_gets_the_event_in_its_own_language(thread, expert):
    german = await connect(thread.pk, headers=[*ORIGIN, (b"accept-language", b"de-DE,de;q=0.9")])
    spanish = await connect(thread.pk, headers=[*ORIGIN, (b"cookie", b"django_language=es")])
    english = await connect(thread.pk)

    def reply_in_german():  # whoever replies, in whatever language, does not decide the others'
        with translation.override("de"):
            return post_actions.reply(author=expert, thread=thread, body="Try **this**.")

    await database_sync_to_async(reply_in_german)()
    frames = {}
    for name, ws in {"de": german, "es": spanish, "en": english}.items():
        frame = await ws.receive_json_from(timeout=2)
        while frame["type"] != "event":  # presence updates as the others join
            frame = await ws.receive_json_from(timeout=2)
        frames[name] = frame["event"]
        await ws.disconnect()
    assert (frames["de"]["label"], frames["es"]["label"], frames["en"]["label"]) == (
        "hat geantwortet",
        "respondió",
        "replied",
    )
    assert "> zu diesem Beitrag<" in frames["de"]["html"] and "> to this post<" in frames["en"]["html"]
    assert "> a esta publicación<" in frames["es"]["html"]


async def test_a_replay_is_in_the_sockets_language(thread, expert):
    await database_sync_to_async(post_actions.reply)(author=expert, thread=thread, body="Reply")
    ws = await connect(thread.pk, headers=[*ORIGIN, (b"accept-language", b"es")])
    await ws.send_json_to({"type": "resume", "after": {"public": 0}})
    frame = await ws.receive_json_from(timeout=2)
    assert [e["label"] for e in frame["events"]] == ["hizo la pregunta", "respondió"]
    await ws.disconnect()


async def _next_event(ws) -> dict:
    frame = await ws.receive_json_from(timeout=3)
    while frame["type"] != "event":  # presence updates as the others join
        frame = await ws.receive_json_from(timeout=3)
    return frame["event"]


async def test_the_poster_renders_one_language_and_another_only_where_a_socket_reads_it(thread, expert, monkeypatch):
    """Publishing renders the event once, in the default language; German is rendered only for
    German sockets, once for all of them in the process, and they still read German."""
    renders: list[str] = []
    real = presenter.live_payload

    def counted(event):
        renders.append(translation.get_language())
        return real(event)

    monkeypatch.setattr(presenter, "live_payload", counted)
    english = [await connect(thread.pk) for _ in range(2)]
    await database_sync_to_async(post_actions.reply)(author=expert, thread=thread, body="Only English here.")
    assert [(await _next_event(ws))["label"] for ws in english] == ["replied", "replied"]
    assert renders == ["en"]

    renders.clear()
    german = [await connect(thread.pk, headers=[*ORIGIN, (b"accept-language", b"de")]) for _ in range(2)]
    await database_sync_to_async(post_actions.reply)(author=expert, thread=thread, body="Now German too.")
    assert [(await _next_event(ws))["label"] for ws in german] == ["hat geantwortet", "hat geantwortet"]
    assert [(await _next_event(ws))["label"] for ws in english] == ["replied", "replied"]
    assert sorted(renders) == ["de", "en"]
    for ws in english + german:
        await ws.disconnect()
