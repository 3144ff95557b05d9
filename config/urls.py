"""Site URLs. These are stable: people bookmark and share them (see DESIGN.md)."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog, set_language

from config import api
from forum.views import sso

# /admin/login/ sends people to the site's login page (its rate limits and two-factor step);
# the admin's own, unthrottled login form is never used.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("admin/", admin.site.urls),
    # Before allauth's own: the same view, with a clear page when the vendor's provider is down.
    path("accounts/oidc/<str:provider_id>/login/", sso.start_sign_in, name="openid_connect_login"),
    path("accounts/", include("allauth.urls")),
    # Languages (docs/i18n.md): the footer's picker posts here (a cookie; no language in the URLs), and
    # static/js reads its strings from the catalog script (same origin, so the CSP allows it).
    path("i18n/setlang/", set_language, name="set_language"),
    # Cached an hour (the cache key and the page's ?l= carry the language, so a switch is never stale).
    path("jsi18n/", cache_page(3600)(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    *api.urlpatterns(),
    path("", include("swarm.urls")),
    path("", include("forum.urls")),
]

handler400 = "forum.views.errors.bad_request"
handler403 = "forum.views.errors.permission_denied"
handler404 = "forum.views.errors.page_not_found"
handler500 = "forum.views.errors.server_error"
