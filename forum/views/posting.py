"""Writes from the browser. Each view parses, calls one action, and redirects."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from forum import access
from forum.actions import gaps as gap_actions
from forum.actions import posts as post_actions
from forum.actions import selfservice
from forum.actions import threads as thread_actions
from forum.actions import votes as vote_actions
from forum.forms import AskForm, EditForm, ReplyForm
from forum.models import Post, ReviewState, Thread
from forum.ratelimit import RateLimitedError
from forum.views.community import limit_upload_size
from forum.views.errors import with_retry_after

PENDING_MESSAGE = (
    "Thanks! Posts with links from new accounts wait for a moderator's review; only you see it until then."
)


def _first_message(error: ValidationError) -> str:
    return error.messages[0] if error.messages else gettext("That could not be done.")


def _ask_page(request: HttpRequest, form: AskForm, *, status: int) -> HttpResponse:
    # A new signed ask session per visit: the suggestions and their open beacon are tied to it.
    context = {"form": form, "ask_session": selfservice.new_ask_session(request.user)}
    return render(request, "forum/ask.html", context, status=status)


@login_required
@limit_upload_size
def ask(request: HttpRequest) -> HttpResponse:
    # ?title= comes from the content-gap report's "start an article" link (forum.views.knowledge.gaps).
    form = AskForm(request.POST or None, request.FILES or None, initial={"title": request.GET.get("title", "")[:200]})
    if request.method == "POST" and form.is_valid():
        try:
            thread = thread_actions.create_thread(author=request.user, **form.cleaned_data)
        except RateLimitedError as error:
            form.add_error(None, str(error))
            return with_retry_after(_ask_page(request, form, status=429), error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Content gaps: the /ask/ page showed suggestions for this text, and the person asked anyway.
            gap_actions.record_asked_anyway(thread=thread, title=thread.title, body=form.cleaned_data["body"])
            if thread.review_state == ReviewState.PENDING:
                messages.info(request, PENDING_MESSAGE)
            else:
                messages.success(
                    request, gettext("Your question is posted. People who follow its tags have been told.")
                )
            return redirect(thread)
    return _ask_page(request, form, status=400 if form.errors else 200)


@login_required
@require_POST
@limit_upload_size
def reply(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=thread_id)
    form = ReplyForm(request.POST, request.FILES)
    status, limited = 400, None
    if form.is_valid():
        try:
            post = post_actions.reply(
                author=request.user,
                thread=thread,
                body=form.cleaned_data["body"],
                images=form.cleaned_data["images"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except RateLimitedError as error:
            form.add_error(None, str(error))
            status, limited = 429, error
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if post.review_state == ReviewState.PENDING:
                messages.info(request, PENDING_MESSAGE)
            return redirect(post)
    from forum import selectors

    page = selectors.thread_page(thread_id=thread.pk, user=request.user)
    response = render(request, "forum/thread.html", {"p": page, "thread": page.thread, "form": form}, status=status)
    return with_retry_after(response, limited) if limited else response


@login_required
def edit(request: HttpRequest, post_id: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread"), pk=post_id)
    access.require_participant(request.user, gettext("Log in to edit."))
    access.require(access.can_edit_post(request.user, post), gettext("You can only edit your own posts."))
    initial = {"body": post.body, "title": post.thread.title}
    form = EditForm(request.POST or None, initial=initial, is_question=post.is_question)
    if request.method == "POST" and form.is_valid():
        try:
            post_actions.edit_post(
                editor=request.user,
                post=post,
                body=form.cleaned_data["body"],
                title=form.cleaned_data.get("title"),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except RateLimitedError as error:
            form.add_error(None, str(error))
            return with_retry_after(render(request, "forum/edit.html", {"form": form, "post": post}, status=429), error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            post.refresh_from_db(fields=["review_state"])
            if post.review_state == ReviewState.PENDING:
                messages.info(
                    request, gettext("Your edit added links, so a moderator will review it before others see it.")
                )
            else:
                messages.success(request, gettext("Your edit is saved; the earlier version is kept in the history."))
            return redirect(post)
    return render(request, "forum/edit.html", {"form": form, "post": post}, status=400 if form.errors else 200)


@login_required
def post_history(request: HttpRequest, post_id: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread", "author"), pk=post_id)
    access.require(
        access.can_see_history(request.user, post), gettext("Only the author and moderators see edit history.")
    )
    revisions = post.revisions.select_related("edited_by")
    return render(request, "forum/history.html", {"post": post, "revisions": revisions})


def _back(request: HttpRequest, post: Post) -> HttpResponse:
    return redirect(post)


@login_required
@require_POST
def vote(request: HttpRequest, post_id: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread"), pk=post_id)
    withdraw = request.POST.get("action") == "withdraw"
    try:
        if withdraw:
            vote_actions.withdraw_vote(user=request.user, post=post)
        else:
            vote_actions.upvote(user=request.user, post=post)
    except ValidationError as error:
        messages.error(request, _first_message(error))
    return _back(request, post)


@login_required
@require_POST
def accept(request: HttpRequest, post_id: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread", "author"), pk=post_id)
    try:
        thread_actions.accept_answer(user=request.user, thread=post.thread, post=post)
    except ValidationError as error:
        messages.error(request, _first_message(error))
    else:
        messages.success(request, gettext("Marked as the answer. The thread now shows as Solved."))
    return _back(request, post)


@login_required
@require_POST
def reopen(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=thread_id)
    try:
        thread_actions.reopen_thread(user=request.user, thread=thread)
    except ValidationError as error:
        messages.error(request, _first_message(error))
    else:
        messages.success(request, gettext("The thread is open again."))
    return redirect(thread)
