from django.urls import path, register_converter

from forum import feeds
from forum.views import (
    account,
    api_admin,
    articles,
    community,
    composer,
    health,
    joining,
    knowledge,
    moderation,
    notifications,
    pages,
    posting,
    reputation,
    sso,
    vendors,
)


class NameConverter:
    """A name in a URL (tag, handle, username, slug): no slash and no NUL, which no name holds."""

    regex = r"[^/\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NameConverter, "name")

app_name = "forum"

urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("ask/", posting.ask, name="ask"),
    path("ask/suggest/", knowledge.ask_suggest, name="ask_suggest"),
    path("ask/opened/", knowledge.suggestion_opened, name="suggestion_opened"),
    path("stats/", knowledge.stats, name="stats"),
    path("kb/", knowledge.kb, name="kb"),
    path("kb/v/<name:handle>/", knowledge.kb, name="kb_vendor"),
    # The KCS loop (issue 15, docs/knowledge.md): content gaps.
    path("kb/gaps/", knowledge.gaps, name="kb_gaps"),
    path("search/gap/", knowledge.search_gap, name="search_gap"),
    # Knowledge articles' life (issue 15, docs/knowledge.md, "Article life").
    path("kb/a/<int:article_id>/", articles.article, name="article"),
    path("kb/a/<int:article_id>/history/", articles.article_history, name="article_history"),
    path("kb/a/<int:article_id>/publish/", articles.article_publish, name="article_publish"),
    path("kb/a/<int:article_id>/flag/", articles.article_flag, name="article_flag"),
    path("kb/a/<int:article_id>/fix/", articles.article_fix, name="article_fix"),
    path("kb/a/<int:article_id>/retire/", articles.article_retire, name="article_retire"),
    path("kb/review/", articles.review_queue, name="article_review"),
    path("t/<int:thread_id>/article/new/", articles.article_new, name="article_new"),
    path("notifications/", notifications.inbox, name="notifications"),
    path("notifications/read/", notifications.mark_read, name="notifications_read"),
    path("t/<int:thread_id>/mute/", notifications.mute_thread, name="mute_thread"),
    path("search/", pages.search_page, name="search"),
    path("tags/", pages.tags_index, name="tags"),
    path("tags/suggest/", pages.tag_suggest, name="tag_suggest"),
    path("compose/preview/", composer.preview, name="preview"),
    path("compose/mentions/", composer.mention_suggest, name="mention_suggest"),
    path("tags/<name:tag>/", pages.tag_page, name="tag"),
    path("tags/<name:tag>/leaders/", reputation.tag_leaders, name="tag_leaders"),
    path("leaders/", reputation.leaders, name="leaders"),
    path("badges/", reputation.badge_list, name="badges"),
    path("t/<int:thread_id>/retag/", reputation.retag, name="retag"),
    path("t/<int:thread_id>/", pages.thread, name="thread_short"),
    path("t/<int:thread_id>/reply/", posting.reply, name="reply"),
    path("t/<int:thread_id>/seen/", pages.thread_seen, name="thread_seen"),
    path("t/<int:thread_id>/reopen/", posting.reopen, name="reopen"),
    path("t/<int:thread_id>/lock/", moderation.lock, name="lock"),
    path("t/<int:thread_id>/duplicate/", knowledge.mark_duplicate, name="mark_duplicate"),
    path("t/<int:thread_id>/duplicate/remove/", knowledge.unmark_duplicate, name="unmark_duplicate"),
    path("p/<int:post_id>/verify/", knowledge.verify, name="verify_answer"),
    path("p/<int:post_id>/outdated/", knowledge.flag_outdated, name="flag_outdated"),
    path("p/<int:post_id>/outdated/clear/", knowledge.clear_outdated, name="clear_outdated"),
    path("t/<int:thread_id>/<name:slug>/", pages.thread, name="thread"),
    path("p/<int:post_id>/edit/", posting.edit, name="edit"),
    path("p/<int:post_id>/history/", posting.post_history, name="post_history"),
    path("p/<int:post_id>/vote/", posting.vote, name="vote"),
    path("p/<int:post_id>/accept/", posting.accept, name="accept"),
    path("v/<name:handle>/", pages.vendor_page, name="vendor"),
    path("v/<name:handle>/join/", vendors.join, name="vendor_join"),
    # Vendors joining Barnraise (issue 14, docs/vendors.md).
    path("v/<name:handle>/claim/", joining.claim, name="vendor_claim"),
    path("vendors/join/", joining.apply, name="vendor_apply"),
    path("vendors/applications/<int:application_id>/", joining.application, name="vendor_application"),
    path(
        "vendors/applications/<int:application_id>/domains/<int:proof_id>/dns/",
        joining.check_dns,
        name="vendor_check_dns",
    ),
    path(
        "vendors/applications/<int:application_id>/domains/<int:proof_id>/email/",
        joining.send_email,
        name="vendor_send_proof",
    ),
    path("vendors/applications/<int:application_id>/decide/", joining.decide, name="vendor_application_decide"),
    path("vendors/proof/<str:key>/", joining.proof_link, name="vendor_proof_link"),
    path("vendors/review/", joining.review, name="vendor_review"),
    path("vendors/propose/", joining.propose, name="vendor_propose"),
    path("vendors/unclaimed/", joining.unclaimed, name="vendor_unclaimed"),
    path("vendors/proposals/<int:proposal_id>/decide/", joining.decide_proposal, name="vendor_proposal_decide"),
    path("v/<name:handle>/members/<int:membership_id>/", vendors.decide, name="vendor_member"),
    path("u/<name:username>/", pages.profile, name="profile"),
    # Follows, notification settings, feeds and images (issue 5: community).
    path("follow/tag/<name:tag>/", community.follow_tag, name="follow_tag"),
    path("follow/tag/<name:tag>/mute/", community.mute_tag, name="mute_tag"),
    path("follow/vendor/<name:handle>/", community.follow_vendor, name="follow_vendor"),
    path("follow/thread/<int:thread_id>/", community.follow_thread, name="follow_thread"),
    path("settings/", account.account_settings, name="account_settings"),
    path("settings/avatar/", account.avatar_upload, name="avatar_upload"),
    path("settings/avatar/remove/", account.avatar_remove, name="avatar_remove"),
    path("settings/preferences/", account.preferences, name="preferences"),
    path("settings/delete/", account.delete_account, name="delete_account"),
    path("avatars/<str:key>/<int:size>/", account.avatar, name="avatar"),
    path("settings/notifications/", community.notification_settings, name="notification_settings"),
    path("feeds/tags/<name:tag>/", feeds.tag_feed, name="feed_tag"),
    path("feeds/v/<name:handle>/", feeds.vendor_feed, name="feed_vendor"),
    path("feeds/search/", feeds.search_feed, name="feed_search"),
    path("a/<int:attachment_id>/", community.attachment, name="attachment"),
    path("p/<int:post_id>/flag/", moderation.flag, name="flag"),
    path("mod/", moderation.queue, name="mod_queue"),
    path("mod/p/<int:post_id>/<name:decision>/", moderation.decide, name="mod_decide"),
    path("mod/u/<name:username>/", moderation.member, name="mod_member"),
    path("settings/tokens/", api_admin.tokens, name="api_tokens"),
    path("settings/tokens/<int:token_id>/revoke/", api_admin.revoke_token, name="api_token_revoke"),
    path("v/<name:handle>/api/", api_admin.vendor_api, name="vendor_api"),
    path("v/<name:handle>/sso/", sso.vendor_sso, name="vendor_sso"),
    path("v/<name:handle>/api/keys/", api_admin.create_key, name="vendor_key_create"),
    path("v/<name:handle>/api/keys/<int:key_id>/revoke/", api_admin.revoke_key, name="vendor_key_revoke"),
    path("v/<name:handle>/api/webhooks/", api_admin.create_webhook, name="vendor_webhook_create"),
    path(
        "v/<name:handle>/api/webhooks/<int:endpoint_id>/delete/", api_admin.delete_webhook, name="vendor_webhook_delete"
    ),
    path("v/<name:handle>/api/deliveries/<int:delivery_id>/resend/", api_admin.redeliver, name="vendor_redeliver"),
]
