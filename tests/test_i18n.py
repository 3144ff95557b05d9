"""Languages: complete German and Spanish catalogs, compiled as they are, and pages with no English left.

docs/i18n.md explains the workflow; these tests are what keeps it honest after a template changes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from forum import i18n_catalogs
from scripts.i18n_templates import bare_text
from swarm.actions import escalations, products, targets
from tests.conftest import client_for

ROOT = Path(settings.BASE_DIR)
LANGS = ["de", "es"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def _catalog(lang: str, domain: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"))


def _translated(lang: str, english: str) -> str:
    return _catalog(lang, "django").find(english).msgstr


# ---- The catalogs -------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["django", "djangojs"])
@pytest.mark.parametrize("lang", LANGS)
def test_every_string_is_translated(lang, domain):
    """An empty or fuzzy msgstr shows English (or a guess) to the reader: each one fails."""
    catalog = _catalog(lang, domain)
    assert len(catalog) > (500 if domain == "django" else 30)
    missing = [e.msgid for e in catalog if not e.obsolete and ("fuzzy" in e.flags or not e.translated())]
    assert not missing, f"{len(missing)} untranslated in {lang}/{domain}.po: {missing[:10]}"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
@pytest.mark.parametrize("lang", LANGS)
def test_translations_keep_their_placeholders(lang, domain):
    """A translation that drops or renames %(name)s raises a KeyError (a 500) when it is shown."""
    wrong = []
    for entry in _catalog(lang, domain):
        texts = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        wanted = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural or ""))
        for text in texts:
            if not set(PLACEHOLDER.findall(text)) <= wanted:
                wrong.append((entry.msgid, text))
            if not entry.msgid_plural and set(PLACEHOLDER.findall(text)) != wanted:
                wrong.append((entry.msgid, text))
    assert not wrong, wrong[:5]


def test_compiled_catalogs_match_their_sources():
    """The .mo files Django reads are exactly the .po files: a stale .mo cannot ship unnoticed."""
    catalogs = i18n_catalogs.catalogs()
    assert len(catalogs) == 4
    stale = [reason for reason in map(i18n_catalogs.stale, catalogs) if reason]
    assert not stale, f"{stale}: run `manage.py compile_catalogs`"


def test_a_stale_catalog_is_detected(tmp_path, settings):
    """The staleness check itself: an edited .po with an old .mo is reported, compiling fixes it."""
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    source = _catalog("de", "djangojs")
    source.save(str(folder / "djangojs.po"))
    settings.LOCALE_PATHS = [tmp_path]
    assert i18n_catalogs.stale(folder / "djangojs.po").endswith("is missing")
    assert i18n_catalogs.compile_all() == [folder / "djangojs.mo"]
    assert i18n_catalogs.stale(folder / "djangojs.po") == ""
    edited = polib.pofile(str(folder / "djangojs.po"))
    edited.find("Preview").msgstr = "Voransicht"
    edited.save()
    assert "does not match" in i18n_catalogs.stale(folder / "djangojs.po")


# ---- Templates carry no bare text ---------------------------------------------------------------


def test_the_template_lint_finds_bare_text():
    """The lint below catches text, readable attributes and sentences around variables."""
    assert bare_text('<p class="x">Hello there</p>') == ["Hello there"]
    assert bare_text('<input placeholder="Search…" name="q">') == ["Search…"]
    assert bare_text("<p>Asked {{ when }} by {{ who }}</p>") == ["Asked by"]
    assert bare_text('{% load i18n %}<p>{% translate "Hello" %}</p><b title="{% translate "Hi" %}">·</b>') == []
    assert bare_text("<script>const a = 'Not text';</script><code>@northwind</code>") == []
    assert bare_text("{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}{# a note #}") == []


TEMPLATES = sorted(p for p in (ROOT / "templates").rglob("*") if p.suffix in {".html", ".txt"})


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_templates_have_no_bare_text(path):
    """Every word people read in a template is inside {% translate %} or {% blocktranslate %}."""
    source = path.read_text()
    if path.suffix == ".txt":  # plain-text emails: every line is text
        outside = re.sub(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", "", source, flags=re.S)
        outside = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "", outside, flags=re.S)
        assert not re.search(r"[^\W\d_]{2,}", outside), outside
    else:
        assert bare_text(source) == []


# ---- Pages in German and Spanish ----------------------------------------------------------------


class _Text(HTMLParser):
    """The text a person reads or hears: text nodes and readable attributes, not scripts or styles."""

    ATTRS = {"title", "placeholder", "aria-label", "alt"}

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "code", "pre", "textarea"}:
            self._skip += 1
        named = dict(attrs)
        for name, value in attrs:
            shown = name in self.ATTRS or (name == "value" and named.get("type") in {"submit", "button", "reset"})
            if shown and value:
                self.chunks.append(value)

    def handle_endtag(self, tag):
        if tag in {"script", "style", "code", "pre", "textarea"}:
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.chunks.append(data)


def _texts(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    return {" ".join(chunk.split()) for chunk in parser.chunks if chunk.strip()}


def _english_left(lang: str, texts: set[str]) -> list[str]:
    """Page texts that are an English catalog string whose translation differs (so it was not translated)."""
    found = []
    for entry in _catalog(lang, "django"):
        forms = [(entry.msgid, entry.msgstr)] if not entry.msgid_plural else []
        if entry.msgid_plural:
            forms = [(entry.msgid, entry.msgstr_plural[0]), (entry.msgid_plural, entry.msgstr_plural[1])]
        for english, translated in forms:
            if english == translated or "<" in english or len(english) < 3:
                continue  # the same in both languages (a name, "Spam"), or markup split across nodes
            pattern = re.escape(" ".join(english.split()))
            pattern = re.sub(r"%\\\(\w+\\\)[sd]|\\\{\w+\\\}", ".+?", pattern)
            if any(re.fullmatch(pattern, text) for text in texts):
                found.append(english)
    return found


@pytest.fixture
def community(customer, expert, thread, reply, vendor, staff, moderator):
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    return {"customer": customer, "staff": staff, "thread": thread, "vendor": vendor}


def _user_data(c) -> set[str]:
    thread = c["thread"]
    return {thread.title, *thread.tags.names(), c["vendor"].name}


def _pages(c) -> list[tuple[str, object]]:
    thread = c["thread"]
    return [
        ("home", None),
        (thread.get_absolute_url(), None),
        (reverse("forum:ask"), c["customer"]),
        (reverse("forum:search") + "?q=wifi", None),
        (reverse("forum:kb"), None),
        (reverse("forum:vendor", args=["northwind"]), None),
        (reverse("swarm:inbox", args=["northwind"]), c["staff"]),
        (reverse("forum:notifications"), c["staff"]),
        (reverse("forum:account_settings"), c["customer"]),
        (reverse("forum:notification_settings"), c["customer"]),
        (reverse("account_login"), None),
        (thread.get_absolute_url(), c["staff"]),
        (thread.get_absolute_url(), c["customer"]),
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_main_pages_have_no_english_left(community, lang):
    """Chosen from Accept-Language: the main pages, for visitors, customers and staff, fully translated."""
    checked = 0
    for url, user in _pages(community):
        response = client_for(user).get("/" if url == "home" else url, headers={"accept-language": lang})
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{lang}">' in html, url
        assert "Accept-Language" in response["Vary"]
        texts = _texts(html) - _user_data(community)  # people's words (a tag called "tablet") stay as written
        left = _english_left(lang, texts)
        assert not left, f"{url} as {user or 'a visitor'} in {lang}: English left: {left}"
        checked += len(texts)
    assert checked > 300


def test_pages_speak_the_language_chosen(community):
    """German words where English was; the same page in English still reads English."""
    thread = community["thread"]
    german = client_for(None).get(thread.get_absolute_url(), headers={"accept-language": "de-DE,de;q=0.9"})
    text = german.content.decode()
    assert "Anmelden" in text and "Ähnliche Threads" in text
    assert re.search(r"Gefragt <time[^>]*>(gerade eben|vor \d+ Minute)", text), "relative time not in German"
    english = client_for(None).get(thread.get_absolute_url(), headers={"accept-language": "en"})
    assert "Similar threads" in english.content.decode()


def test_one_english_word_with_two_meanings_agrees_with_each_spanish_noun(community):
    """ "Open" is a thread list (hilos: "Abiertos") and a flag's state (denuncia: "Abierta"): each
    use has its own context, so Spanish can agree with its noun."""
    from forum.models import Flag

    page = client_for(None).get("/", headers={"accept-language": "es"}).content.decode()
    assert re.search(r">\s*Abiertos\s*<", page), "the list tab is not 'Abiertos'"
    with translation.override("es"):
        assert (str(Flag.Status.OPEN.label), str(Flag.Status.DISMISSED.label)) == ("Abierta", "Descartada")


def test_the_picker_sets_the_language_by_cookie(community):
    """The footer's picker (Django's set_language): the choice sticks, whatever the browser asks for."""
    client = client_for(None)
    home = client.get("/", headers={"accept-language": "en"})
    assert 'action="/i18n/setlang/"' in home.content.decode()
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/kb/"})
    assert response.status_code == 302 and response["Location"] == "/kb/"
    page = client.get("/kb/", headers={"accept-language": "de"})
    assert '<html lang="es">' in page.content.decode()
    assert "Base de conocimiento" in page.content.decode()
    # An unknown language changes nothing.
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert '<html lang="es">' in client.get("/").content.decode()


def test_the_thread_etag_differs_by_language(community):
    """A visitor's cached thread page is per language: switching never revalidates the other one."""
    url = community["thread"].get_absolute_url()
    client = client_for(None)
    english = client.get(url, headers={"accept-language": "en"})
    german = client.get(url, headers={"accept-language": "de"})
    assert english["ETag"] != german["ETag"]
    again = client.get(url, headers={"accept-language": "de", "if-none-match": german["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(("lang", "word"), [("de", "Vorschau"), ("es", "Vista previa")])
def test_the_javascript_catalog_is_served_in_the_language(db, lang, word):
    response = client_for(None).get(f"/jsi18n/?l={lang}", headers={"accept-language": lang})
    assert response.status_code == 200
    assert word in response.content.decode()
    assert "script-src 'self'" in response.get("Content-Security-Policy", "script-src 'self'")


def test_emails_are_written_in_the_recipients_language(community, mailoutbox, settings):
    """A notice email to someone whose account prefers German is in German (English without a preference)."""
    from forum import i18n
    from forum.digest import message_for

    person = community["customer"]
    person.language = "de"  # the account's preference (a field of the account settings)
    assert i18n.language_for(person) == "de"
    message = message_for(person, [community["thread"]], day=community["thread"].created_at)
    assert "neuer Thread, dem du folgst" in message.subject
    assert "Hallo Jeff Morrow," in message.body
    person.language = ""
    assert "new thread you follow" in message_for(person, [community["thread"]], day=None).subject


@pytest.mark.parametrize("lang", LANGS)
def test_the_merged_features_pages_have_no_english_left(community, vendor_admin, lang):
    """Business hours, products, response targets, tag mute, the article queue and the API reference
    (added beside the translation work) read in the page's language too."""
    vendor = community["vendor"]
    nine_to_five = [("09:00", "17:00")] * 5 + [("", "")] * 2
    targets.set_business_hours(admin=vendor_admin, vendor=vendor, time_zone="Europe/Berlin", days=nine_to_five)
    targets.publish_targets(
        admin=vendor_admin, vendor=vendor, first_reply_hours="8", resolution_days="3", business_hours=True
    )
    products.create_product(admin=vendor_admin, vendor=vendor, name="Tablet Pro", aliases="tp4")
    tag = community["thread"].tags.names()[0]
    pages = [
        (reverse("swarm:teams", args=["northwind"]), vendor_admin),
        (reverse("forum:vendor", args=["northwind"]), None),
        (reverse("forum:tag", args=[tag]), community["customer"]),
        (reverse("forum:article_review"), community["staff"]),
    ]
    for url, user in pages:
        response = client_for(user).get(url, headers={"accept-language": lang})
        assert response.status_code == 200, url
        texts = _texts(response.content.decode()) - _user_data(community) - {"Tablet Pro", "tp4"}
        left = _english_left(lang, texts)
        assert not left, f"{url} as {user or 'a visitor'} in {lang}: English left: {left}"
    # The API reference's own words are translated; the schema it shows (summaries, fields) is the API's English.
    html = client_for(None).get("/api/docs", headers={"accept-language": lang}).content.decode()
    for english in ("Machine-readable schema:", "Parameters", "Responses"):
        assert _translated(lang, english) in html and english not in html
