"""Knowledge articles' pages: the article, its history, drafting, the review queue, and each step.

Thin views: each parses a form, calls one action of ``forum.actions.articles``, and
redirects; refusals come back as the form's error (400) or the 403/429 pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from forum import access, knowledge_selectors
from forum.actions import articles as article_actions
from forum.forms import ArticleFixForm, ArticleFlagForm, ArticleForm, ArticleRetireForm
from forum.models import Article, Thread
from forum.ratelimit import RateLimitedError
from forum.timeline import presenter


def _text(data: dict) -> article_actions.ArticleText:
    return article_actions.ArticleText(
        title=data["title"], environment=data["environment"], cause=data["cause"], resolution=data["resolution"]
    )


def _article_or_404(request: HttpRequest, article_id: int) -> Article:
    article = get_object_or_404(Article.objects.select_related("thread", "vendor"), pk=article_id)
    presenter.require_article(request.user, article)
    return article


def article(request: HttpRequest, article_id: int) -> HttpResponse:
    page = knowledge_selectors.article_page(article_id=article_id, viewer=request.user)
    context = {
        "page": page,
        "a": page.article,
        "flag_form": ArticleFlagForm(),
        "retire_form": ArticleRetireForm(),
    }
    return render(request, "forum/article.html", context)


def article_history(request: HttpRequest, article_id: int) -> HttpResponse:
    item = _article_or_404(request, article_id)
    events = knowledge_selectors.article_history(item)
    return render(request, "forum/article_history.html", {"a": item, "events": events})


@login_required
def article_new(request: HttpRequest, thread_id: int) -> HttpResponse:
    """GET: the draft form, prefilled from the thread (nothing written). POST: the draft."""
    thread = get_object_or_404(Thread, pk=thread_id)
    presenter.require_thread(request.user, thread)
    access.require_participant(request.user, _("Log in to draft an article."))  # a suspension says so
    access.require(
        access.can_draft_article(request.user, thread),
        _("Only staff of a vendor on this thread and trusted members can draft an article from it."),
    )
    form = ArticleForm(request.POST or None, initial=knowledge_selectors.article_prefill(thread))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                item = article_actions.draft_article(
                    user=request.user,
                    thread=thread,
                    text=_text(form.cleaned_data),
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except RateLimitedError as error:
                form.add_error(None, str(error))
                status = 429
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your draft is saved; a reviewer will publish it."))
                return redirect(item)
    return render(request, "forum/article_form.html", {"form": form, "thread": thread}, status=status)


@login_required
def article_fix(request: HttpRequest, article_id: int) -> HttpResponse:
    item = _article_or_404(request, article_id)
    access.require(access.can_fix_article(request.user, item), article_actions.review_refusal(item))
    initial = {f: getattr(item, f) for f in ("title", "environment", "cause", "resolution")}
    form = ArticleFixForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                article_actions.fix_article(
                    user=request.user, article=item, text=_text(form.cleaned_data), note=form.cleaned_data["note"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The article is fixed; earlier “didn't work” flags are cleared."))
                return redirect(item)
    return render(request, "forum/article_form.html", {"form": form, "article": item}, status=status)


def _step(request: HttpRequest, item: Article, write, done: str) -> HttpResponse:
    try:
        write()
    except ValidationError as error:
        messages.error(request, error.messages[0] if error.messages else _("That could not be done."))
    else:
        messages.success(request, done)
    return redirect(item)


@login_required
@require_POST
def article_publish(request: HttpRequest, article_id: int) -> HttpResponse:
    item = _article_or_404(request, article_id)
    return _step(
        request,
        item,
        lambda: article_actions.publish_article(user=request.user, article=item),
        _("The article is published."),
    )


@login_required
@require_POST
def article_flag(request: HttpRequest, article_id: int) -> HttpResponse:
    item = _article_or_404(request, article_id)
    environment = request.POST.get("environment", "")[:1000]  # the action checks it and says what is wrong
    return _step(
        request,
        item,
        lambda: article_actions.flag_article(user=request.user, article=item, environment=environment),
        _("Thanks: readers now see that it didn't work for you, and its reviewers can fix it."),
    )


@login_required
@require_POST
def article_retire(request: HttpRequest, article_id: int) -> HttpResponse:
    item = _article_or_404(request, article_id)
    reason = request.POST.get("reason", "")[:1000]
    return _step(
        request,
        item,
        lambda: article_actions.retire_article(user=request.user, article=item, reason=reason),
        _("The article is retired: it is no longer suggested."),
    )


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Drafts waiting for the viewer's review, and the viewer's own drafts."""
    drafts = knowledge_selectors.review_queue(request.user)
    return render(request, "forum/article_review.html", {"drafts": drafts})
