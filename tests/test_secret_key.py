"""No known signing key: the embedded default makes its own, and links signed with the old one are refused."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.test import override_settings

from config.secret_key import KNOWN_DEVELOPMENT_KEY, load_or_create
from tests.conftest import make_user
from tests.swarm.conftest import start_daphne

ROOT = Path(__file__).resolve().parents[1]


def test_the_generated_key_is_random_private_and_kept(tmp_path):
    path = tmp_path / ".secret_key"
    key = load_or_create(path)
    assert len(key) >= 50 and key != KNOWN_DEVELOPMENT_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(path) == key, "the next start signs with the same key"
    assert load_or_create(tmp_path / "other" / ".secret_key") != key, "each installation has its own key"
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == [".secret_key"], "no temporary file is left"


def _check_deploy(secret_key: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HTTPS": "1", "DEBUG": "0", "SECRET_KEY": secret_key, "ALLOWED_HOSTS": "forum.example.com"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("key", "error"),
    [(KNOWN_DEVELOPMENT_KEY, "forum.E002"), ("short-key", "forum.E003"), ("ab" * 40, "forum.E003")],
)
def test_check_deploy_fails_on_a_known_or_weak_key(key, error):
    result = _check_deploy(key)
    assert result.returncode != 0
    assert error in result.stderr


@pytest.fixture
def site_with_generated_key(transactional_db, tmp_path):
    """The real site, started with SECRET_KEY unset: it must make its own key."""
    key_file = tmp_path / ".secret_key"
    server = start_daphne(extra_env={"SECRET_KEY": None, "SECRET_KEY_FILE": str(key_file)})
    try:
        yield server, key_file.read_text().strip()
    finally:
        server.kill()


def _post_form(client: httpx.Client, path: str) -> httpx.Response:
    page = client.get(path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "the page shows its form"
    return client.post(path, data={"csrfmiddlewaretoken": token.group(1)})


def test_an_email_confirmation_link_signed_with_the_old_source_key_is_refused(site_with_generated_key):
    server, site_key = site_with_generated_key
    assert site_key and site_key != KNOWN_DEVELOPMENT_KEY
    user = make_user("ines", email="ines@northwind.example", verified_email=False)
    address = EmailAddress.objects.get(user=user)
    with override_settings(SECRET_KEY=KNOWN_DEVELOPMENT_KEY):
        forged = EmailConfirmationHMAC(address).key
    with override_settings(SECRET_KEY=site_key):
        genuine = EmailConfirmationHMAC(address).key

    with httpx.Client(base_url=server.http, timeout=10) as client:
        page = client.get(f"/accounts/confirm-email/{forged}/")
        assert "expired or is invalid" in page.text
        client.post(f"/accounts/confirm-email/{forged}/")
        address.refresh_from_db()
        assert not address.verified, "the forged link confirmed nothing"

        # The same link signed with the site's own key works, so the refusal is the key's doing.
        response = _post_form(client, f"/accounts/confirm-email/{genuine}/")
        assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified


def test_a_password_reset_link_signed_with_the_old_source_key_is_refused(site_with_generated_key):
    server, site_key = site_with_generated_key
    user = make_user("olaf")
    uid = user_pk_to_url_str(user)
    with override_settings(SECRET_KEY=KNOWN_DEVELOPMENT_KEY):
        forged = default_token_generator.make_token(user)
    with override_settings(SECRET_KEY=site_key):
        genuine = default_token_generator.make_token(user)

    with httpx.Client(base_url=server.http, timeout=10) as client:
        page = client.get(f"/accounts/password/reset/key/{uid}-{forged}/")
        assert page.status_code == 200
        assert "Bad Token" in page.text and 'name="password1"' not in page.text
        response = client.get(f"/accounts/password/reset/key/{uid}-{genuine}/", follow_redirects=True)
        assert 'name="password1"' in response.text, "a link signed with the site's key opens the form"
