"""A real OpenID Connect provider for tests: the small Django project in tests/oidc_idp
(django-oidc-provider), run as its own process on a free loopback port.

It speaks the whole protocol (discovery, authorization code flow with PKCE, token, userinfo,
signed ID tokens); the tests change its directory (employees, clients) through a control
endpoint guarded by a random token. A provider that fails to start fails the test, never skips.
"""

from __future__ import annotations

import html
import re
import secrets
import subprocess
import sys
from pathlib import Path

import httpx

from tests.services import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "idp-password-1"


class IdentityProvider:
    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_urlsafe(16)
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "IDP_CONTROL_TOKEN": self.token,
            "IDP_SITE_URL": self.issuer,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_idp.serve", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        wait_until_healthy(self.process, self.issuer, timeout, path="/.well-known/openid-configuration")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def _control(self, path: str, data: dict) -> None:
        response = httpx.post(f"{self.issuer}/control/{path}/", json=data, headers={"X-Control-Token": self.token})
        response.raise_for_status()

    def add_client(self, *, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self._control(
            "clients", {"client_id": client_id, "client_secret": client_secret, "redirect_uris": [redirect_uri]}
        )

    def add_user(self, username: str, email: str, *, email_verified: bool = True, active: bool = True) -> None:
        self._control(
            "users",
            {
                "username": username,
                "email": email,
                "password": PASSWORD,
                "email_verified": email_verified,
                "active": active,
            },
        )

    def remove_user(self, username: str) -> None:
        self._control("users", {"username": username, "delete": True})


_REFRESH = re.compile(r'http-equiv="refresh" content="0;url=([^"]+)"')
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(
    client: httpx.Client, site: str, provider_id: str, username: str, *, process: str = "login"
) -> httpx.Response:
    """Press the vendor's "Sign in with …" button and sign in at the provider as ``username``.

    Drives the real redirects: Barnraise → the provider's authorize endpoint → its login form →
    back to Barnraise's callback, which exchanges the code server-side. Returns the last response.
    """
    client.get(f"{site}/accounts/login/")  # sets the CSRF cookie (a signed-in member is sent on)
    start = client.post(
        f"{site}/accounts/oidc/{provider_id}/login/",
        data={"csrfmiddlewaretoken": client.cookies["csrftoken"], "process": process},
    )
    # The button's POST ends on a page that sends the browser on to the provider (the CSP allows
    # forms to post to this site only); a browser follows its refresh, this client reads it.
    assert start.status_code == 200, start.text[:500]
    refresh = _REFRESH.search(start.text)
    assert refresh, start.text[:500]
    authorize = html.unescape(refresh.group(1))
    login_page = client.get(authorize, follow_redirects=True)
    if login_page.url.path != "/login/":  # already signed in at the provider, or refused before its form
        return login_page
    response = client.post(
        str(login_page.url),
        data={
            "csrfmiddlewaretoken": csrf_from(login_page.text),
            "username": username,
            "password": PASSWORD,
            "next": str(login_page.url.params.get("next", "")),
        },
        follow_redirects=True,
    )
    return response
