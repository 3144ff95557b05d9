"""The inbox's escalation rows as HTML, built in Python: the template engine spent most of the inbox's
time on these (up to 100 rows, each with a dozen tags and filters).

The markup is the one ``templates/swarm/_inbox_body.html`` had in its loop, and every text goes through
the same translation (the same msgids as the template's, so the catalogs need nothing new). Values are
escaped as the template escaped them: ``conditional_escape`` for each value, never for a translation.
"""

from __future__ import annotations

from urllib.parse import quote

from django.template.defaultfilters import floatformat, truncatechars
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from forum.templatetags.forum_tags import reltime
from swarm.models import Escalation
from swarm.selectors import Inbox


def _(message: str) -> str:
    """A ``{% translate %}``: its output is escaped like any value."""
    return conditional_escape(gettext(message))


def _with(translated: str, **values: object) -> str:
    """A ``{% blocktranslate with ... %}``: the translation (not escaped) with each value escaped."""
    return translated % {name: conditional_escape(value) for name, value in values.items()}


def _clock(clock) -> str:
    due = date_format(timezone.localtime(clock.due), "j M H:i")
    if clock.state == "breach":
        text = _with(gettext("target missed (due %(due)s)"), due=due)
    else:
        text = _with(gettext("due %(due)s"), due=due) + (" ⚠" if clock.state == "warn" else "")
    hours = f' <span class="hint">({_("business hours")})</span>' if clock.business_hours else ""
    state = conditional_escape(clock.state)
    return (
        f'· <span class="target-{state}" data-clock="{state}">{conditional_escape(clock.label)} {text}{hours}</span> '
    )


def _status(e: Escalation, box: Inbox) -> str:
    if e.state == Escalation.State.CLAIMED:
        text = _with(gettext("Claimed by %(name)s"), name=e.claimed_by.name)
        if e.last_staff_activity_at and e.last_staff_activity_at < box.idle_before:
            title = _with(
                gettext("No staff activity for %(idle_hours)s hours: it goes back to the inbox shortly"),
                idle_hours=floatformat(box.idle_hours),
            )
            text += f' <span class="badge" title="{title}">{_("idle")}</span>'
        return text
    if e.state == Escalation.State.HANDED_OFF and e.handed_to:
        return _with(gettext("Handed off to @%(handle)s"), handle=e.handed_to.handle)
    return conditional_escape(e.get_state_display())


def _row(e: Escalation, box: Inbox, csrf: str) -> str:
    thread = e.thread
    title = conditional_escape(thread.title)
    team = format_html(' <span class="badge badge-team">{}</span>', e.team.name) if e.team else ""
    question = thread.questions[0] if thread.questions else None
    summary = format_html('<p class="summary">{}</p>', truncatechars(question.body, 160)) if question else ""
    tags = "".join(
        format_html('<a class="tag" href="?tab=escalations&amp;tag={}">{}</a> ', quote(tag.name, safe="/"), tag.name)
        for tag in thread.tags.all()
    )
    meta = _with(
        gettext("%(name)s · escalated %(created_at)s · waiting since %(customer_posted_at)s"),
        name=thread.author.name,
        created_at=reltime(e.created_at),
        customer_posted_at=reltime(e.customer_posted_at),
    )
    handed = _with(gettext("· handed over by @%(handle)s"), handle=e.handed_from.handle) if e.handed_from else ""
    clocks = "".join(_clock(c) for c in e.clocks)
    form = ""
    if e.state == Escalation.State.OPEN:
        form = (
            f'<form method="post" action="{reverse("swarm:claim", args=[e.pk])}" class="inline-form">{csrf}'
            f'<button type="submit" class="button button-small button-primary" data-row-claim>{_("Claim")}</button>'
            "</form>"
        )
    state = conditional_escape(e.state)
    select = _with(gettext("Select “%(title)s”"), title=truncatechars(thread.title, 60))
    return (
        f'\n    <li class="thread-row escalation-row escalation-{state}" data-escalation="{e.pk}" data-inbox-row>\n'
        f'      <input type="checkbox" name="escalation" value="{e.pk}" form="inbox-bulk" aria-label="{select}" '
        f"data-row-select>\n"
        f'      <div class="thread-main">\n'
        f'        <p class="thread-title"><a href="{conditional_escape(thread.get_absolute_url())}" data-row-open>'
        f"{title}</a>{team}</p>\n"
        f"        {summary}\n"
        f'        <p class="thread-meta">\n'
        f"          {tags}\n"
        f"          {meta}\n"
        f"          {handed}\n"
        f"          {clocks}\n"
        f"        </p>\n"
        f"      </div>\n"
        f'      <div class="thread-stats">\n'
        f'        <span class="stat" title="{_("People with the same problem")}"><strong>{e.metoo_count}</strong> '
        f"{_('me too')}</span>\n"
        f'        <span class="stat">{_status(e, box)}</span>\n'
        f"        {form}\n"
        f"      </div>\n"
        f"    </li>\n  "
    )


def inbox_rows(box: Inbox, csrf_token: str) -> SafeString:
    """The escalation rows of ``box`` as the inbox's list items (one CSRF field value for all claim forms)."""
    csrf = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token)
    return mark_safe("".join(_row(e, box, csrf) for e in box.rows))  # noqa: S308  (every value escaped above)
