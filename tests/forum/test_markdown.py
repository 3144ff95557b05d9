"""Markdown is sanitised: nothing a user types can run script, in render() or on the page."""

import re
from html.parser import HTMLParser

import pytest

from forum.markdown import plain_text, render
from forum.models import Thread
from tests.conftest import client_for

ATTACKS = [
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![i](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<p style="position:fixed;top:0">overlay</p>',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<javascript:alert(1)>",
    "<https://ok.example/?q=<script>>",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    '![x](https://ok.example/a.png" onerror="alert(1))',
    "<a href='javascript:alert(1)'>raw</a>",
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "`<script>alert(1)</script>`",
    "<vbscript:msgbox(1)>",
]

BAD_TAGS = {"script", "iframe", "svg", "style", "object", "embed", "form", "input", "math", "base", "link", "meta"}


class _Checker(HTMLParser):
    """Collects what a browser would actually treat as markup (escaped text is harmless)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in BAD_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name in {"href", "src", "action", "formaction", "xlink:href"}:
                scheme = value.split(":", 1)[0] if ":" in value.split("/", 1)[0] else ""
                if scheme and scheme not in {"http", "https", "mailto"}:
                    self.problems.append(f"{tag} {name}={value}")
            if name == "style":
                self.problems.append(f"{tag} style={value}")


def dangers(html: str) -> list[str]:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return checker.problems


def test_checker_catches_what_it_should():
    assert dangers('<a href=" JaVa\tScript:alert(1)">x</a>')
    assert dangers("<img src=x onerror=alert(1)>")
    assert dangers("<script>1</script>")
    assert not dangers("<p>&lt;script&gt;</p>")


@pytest.mark.django_db
@pytest.mark.parametrize("text", ATTACKS)
def test_render_strips_everything_that_could_run(text):
    html = render(text).html
    assert not dangers(html), html


@pytest.mark.django_db
@pytest.mark.parametrize("text", ATTACKS)
def test_attacks_posted_through_ask_are_inert_on_the_page(customer, text):
    client = client_for(customer)
    response = client.post("/ask/", {"title": "Harmless looking question", "body": text})
    assert response.status_code == 302
    thread = Thread.objects.get()
    page = client.get(thread.get_absolute_url()).text
    prose = "".join(re.findall(r'<div class="prose">(.*?)</div>', page, re.S))
    assert prose
    assert not dangers(prose), prose


@pytest.mark.django_db
def test_code_blocks_lists_links_render():
    html = render(
        "Steps:\n\n1. one\n2. two\n\n- a\n- b\n\n```\nsudo rm <x>\n```\n\n"
        "See [docs](https://docs.example/wifi) and `inline`.\n\n**bold** _em_ ~~gone~~"
    ).html
    assert "<ol>" in html and "<li>one</li>" in html
    assert "<ul>" in html and "<li>a</li>" in html
    assert "<pre><code>sudo rm &lt;x&gt;\n</code></pre>" in html
    assert 'href="https://docs.example/wifi"' in html
    assert 'rel="nofollow ugc noopener noreferrer"' in html
    assert "<code>inline</code>" in html
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html and "<s>gone</s>" in html


@pytest.mark.django_db
def test_table_alignment_is_a_class_not_an_inline_style_the_csp_would_block():
    html = render("| a | b |\n|:--|--:|\n| 1 | 2 |").html
    assert "<table>" in html
    assert '<td class="align-left">1</td>' in html and '<td class="align-right">2</td>' in html
    assert "style=" not in html


@pytest.mark.django_db
def test_mentions_link_known_users_and_vendors(expert, vendor):
    rendered = render("Ping @dana and @northwind, not @nobody or me@dana.example")
    assert 'href="/u/dana/"' in rendered.html
    assert 'href="/v/northwind/"' in rendered.html
    assert rendered.mentioned_users == {"dana"}
    assert rendered.mentioned_vendors == {"northwind"}
    assert "@nobody" in rendered.html


def test_plain_text_drops_tags():
    assert plain_text("<p>Hello <strong>world</strong></p>\n<p>again</p>") == "Hello world again"


@pytest.mark.django_db
def test_mentions_ignore_case():
    from tests.conftest import make_user

    make_user("DanaW")
    rendered = render("Thanks @DanaW and @danaw!")
    assert rendered.mentioned_users == {"DanaW"}
    assert rendered.html.count('href="/u/DanaW/"') == 2
