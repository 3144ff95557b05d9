from django.contrib.auth.views import LoginView
from django.urls import include, path

from tests.oidc_idp import control

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("control/users/", control.users),
    path("control/clients/", control.clients),
    path("", include("oidc_provider.urls", namespace="oidc_provider")),
]
