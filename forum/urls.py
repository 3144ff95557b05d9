from django.urls import path

from forum.views import health, pages, posting, vendors

app_name = "forum"

urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("ask/", posting.ask, name="ask"),
    path("search/", pages.search_page, name="search"),
    path("tags/", pages.tags_index, name="tags"),
    path("tags/suggest/", pages.tag_suggest, name="tag_suggest"),
    path("tags/<str:tag>/", pages.tag_page, name="tag"),
    path("t/<int:thread_id>/", pages.thread, name="thread_short"),
    path("t/<int:thread_id>/reply/", posting.reply, name="reply"),
    path("t/<int:thread_id>/reopen/", posting.reopen, name="reopen"),
    path("t/<int:thread_id>/<str:slug>/", pages.thread, name="thread"),
    path("p/<int:post_id>/edit/", posting.edit, name="edit"),
    path("p/<int:post_id>/history/", posting.post_history, name="post_history"),
    path("p/<int:post_id>/vote/", posting.vote, name="vote"),
    path("p/<int:post_id>/accept/", posting.accept, name="accept"),
    path("v/<str:handle>/", pages.vendor_page, name="vendor"),
    path("v/<str:handle>/join/", vendors.join, name="vendor_join"),
    path("v/<str:handle>/members/<int:membership_id>/", vendors.decide, name="vendor_member"),
    path("u/<str:username>/", pages.profile, name="profile"),
]
