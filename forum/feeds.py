"""Atom feeds of new threads: per tag, per vendor, and per search.

Entries carry only what a visitor may see (forum.timeline.presenter): threads
whose question is visible, with its title, author and sanitised HTML.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext
from taggit.models import Tag

from forum import search
from forum.models import Post, Thread, Vendor
from forum.timeline import presenter
from forum.validation import normalise_text

MAX_ENTRIES = 50
MAX_QUERY_LENGTH = 200


def _with_question(qs: QuerySet[Thread]) -> QuerySet[Thread]:
    questions = Post.objects.filter(is_question=True)
    return (
        presenter.public_threads(qs)
        .select_related("author")
        .defer("search_vector")
        .prefetch_related(Prefetch("posts", queryset=questions, to_attr="question_posts"))
    )


class ThreadFeed(Feed):
    """What every thread feed shares: one entry per thread, newest first."""

    feed_type = Atom1Feed

    def item_title(self, item: Thread) -> str:
        return presenter.thread_title(presenter.PUBLIC, item)

    def item_link(self, item: Thread) -> str:
        return presenter.thread_url(presenter.PUBLIC, item)

    def item_description(self, item: Thread) -> str:
        questions = getattr(item, "question_posts", [])
        return presenter.post_text(presenter.PUBLIC, questions[0])[1] if questions else ""

    def item_author_name(self, item: Thread) -> str:
        return item.author.name

    def item_author_link(self, item: Thread) -> str:
        return settings.SITE_URL + item.author.get_absolute_url()

    def item_pubdate(self, item: Thread):
        return item.created_at

    def item_updateddate(self, item: Thread):
        return item.last_activity_at

    def item_categories(self, item: Thread) -> list[str]:
        return [tag.name for tag in item.tags.all()]

    def newest(self, qs: QuerySet[Thread]) -> list[Thread]:
        return list(_with_question(qs.order_by("-created_at", "-id")).prefetch_related("tags")[:MAX_ENTRIES])


class TagFeed(ThreadFeed):
    def get_object(self, request: HttpRequest, tag: str) -> Tag:
        return get_object_or_404(Tag, name=tag.lower())

    def title(self, obj: Tag) -> str:
        return gettext("Barnraise: threads tagged %(name)s") % {"name": obj.name}

    def link(self, obj: Tag) -> str:
        return reverse("forum:tag", args=[obj.name])

    def subtitle(self, obj: Tag) -> str:
        return gettext("New threads tagged %(name)s.") % {"name": obj.name}

    def items(self, obj: Tag) -> list[Thread]:
        return self.newest(Thread.objects.filter(taggedthread__tag=obj))


class VendorFeed(ThreadFeed):
    def get_object(self, request: HttpRequest, handle: str) -> Vendor:
        return get_object_or_404(Vendor, handle=handle.lower())

    def title(self, obj: Vendor) -> str:
        return gettext("Barnraise: threads with %(name)s (@%(handle)s)") % {"name": obj.name, "handle": obj.handle}

    def link(self, obj: Vendor) -> str:
        return obj.get_absolute_url()

    def subtitle(self, obj: Vendor) -> str:
        return gettext("New threads that involve %(name)s.") % {"name": obj.name}

    def items(self, obj: Vendor) -> list[Thread]:
        return self.newest(Thread.objects.filter(vendor_links__vendor=obj))


class SearchFeed(ThreadFeed):
    def get_object(self, request: HttpRequest) -> str:
        return normalise_text(request.GET.get("q", "")).strip()

    def title(self, obj: str) -> str:
        return gettext("Barnraise: search for “%(obj)s”") % {"obj": obj} if obj else gettext("Barnraise: search")

    def link(self, obj: str) -> str:
        return reverse("forum:search")

    def subtitle(self, obj: str) -> str:
        return gettext("Threads matching a search, best first.")

    def items(self, obj: str) -> list[Thread]:
        if not obj:
            return []
        hits = search.search_threads(obj, limit=MAX_ENTRIES)
        ids = [hit.thread.pk for hit in hits]
        by_id = _with_question(Thread.objects.filter(pk__in=ids)).prefetch_related("tags").in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]


tag_feed = TagFeed()
vendor_feed = VendorFeed()
_search_feed = SearchFeed()


def search_feed(request: HttpRequest) -> HttpResponse:
    """The search feed; an over-long query is a 400 with a readable reason, an empty one an empty feed."""
    query = request.GET.get("q", "")
    if len(query) > MAX_QUERY_LENGTH:
        return HttpResponseBadRequest(
            gettext("Searches are limited to %(max_query_length)s characters.")
            % {"max_query_length": MAX_QUERY_LENGTH},
            content_type="text/plain; charset=utf-8",
        )
    return _search_feed(request)
