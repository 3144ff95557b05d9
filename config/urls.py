"""Site URLs. These are stable: people bookmark and share them (see DESIGN.md)."""

from django.contrib import admin
from django.urls import include, path

from config import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    *api.urlpatterns(),
    path("", include("swarm.urls")),
    path("", include("forum.urls")),
]

handler400 = "forum.views.errors.bad_request"
handler403 = "forum.views.errors.permission_denied"
handler404 = "forum.views.errors.page_not_found"
handler500 = "forum.views.errors.server_error"
