"""Run the test OpenID Connect provider: ``python -m tests.oidc_idp.serve PORT``.

Creates its database (in memory) and signing key, then serves on 127.0.0.1:PORT. The tests register
clients and users through ``control.py``.
"""

import os
import sys


def main() -> None:
    port = int(sys.argv[1])
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_idp.settings"
    os.environ.setdefault("IDP_SITE_URL", f"http://127.0.0.1:{port}")
    import django

    django.setup()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from django.core.management import call_command
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
    from django.core.wsgi import get_wsgi_application
    from oidc_provider.models import RSAKey

    call_command("migrate", verbosity=0, interactive=False)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    RSAKey.objects.create(key=pem)
    application = get_wsgi_application()

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    # The ":memory:" database lives in this thread's connection: serve one request at a time, here.
    server = WSGIServer(("127.0.0.1", port), QuietHandler)
    server.set_app(application)
    print(f"ready {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
