"""Webhook delivery cannot be pointed inside: hostile URLs, rebinding, redirects (forum/netguard.py)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from forum import netguard
from forum.actions import api as api_actions
from forum.actions import threads as thread_actions
from forum.models import WebhookDelivery
from forum.webhooks import deliver_due

pytestmark = pytest.mark.django_db

HOSTILE = [
    "https://127.0.0.1/hook",
    "https://127.1/hook",
    "https://2130706433/hook",  # decimal form of 127.0.0.1
    "https://0177.0.0.1/hook",  # octal form
    "https://0x7f.0.0.1/hook",  # hex form
    "https://localhost/hook",  # a name that resolves to 127.0.0.1
    "https://LOCALHOST./hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
    "https://[::ffff:10.0.0.1]/hook",
    "https://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
    "https://[2002:7f00:1::]/hook",  # 6to4 around 127.0.0.1
    "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo
    "https://[::127.0.0.1]/hook",  # IPv4-compatible
    "https://0.0.0.0/hook",
    "https://[::]/hook",
    "https://10.1.2.3/hook",
    "https://172.16.0.1/hook",
    "https://192.168.1.1/hook",
    "https://100.64.0.1/hook",  # carrier-grade NAT
    "https://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
    "https://[fe80::1]/hook",
    "https://[fd00::1]/hook",
    "https://224.0.0.1/hook",  # multicast
    "https://[ff02::1]/hook",
    "https://240.0.0.1/hook",  # reserved
    "https://255.255.255.255/hook",
    "https://198.18.0.1/hook",  # benchmarking
    "https://no-such-host.invalid/hook",
    "http://8.8.8.8/hook",  # plain http to a public address
]


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_urls_are_refused_at_send_time(settings, url):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(netguard.BlockedAddressError):
        netguard.vet(url)


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_urls_cannot_be_saved(settings, vendor, vendor_admin, url):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError):
        api_actions.create_webhook(admin=vendor_admin, vendor=vendor, url=url, kinds=["posted"])
    assert not vendor.webhooks.exists()


@pytest.mark.parametrize("url", ["http://10.0.0.1:8080/hook", "https://[::ffff:127.0.0.1]/", "https://192.168.0.1/"])
def test_allowing_loopback_never_allows_private_ranges(settings, url):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    with pytest.raises(netguard.BlockedAddressError):
        netguard.vet(url)


def fake_dns(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    """Answer lookups from ``answers``; return the list of names looked up."""
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        if host not in answers:
            raise socket.gaierror("no such name")
        family = {True: socket.AF_INET6, False: socket.AF_INET}
        return [(family[":" in a], socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]

    monkeypatch.setattr(netguard, "_getaddrinfo", getaddrinfo)
    return asked


def test_every_resolved_address_is_checked(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    fake_dns(monkeypatch, {"hooks.example.com": ["93.184.216.34", "10.0.0.5"]})
    with pytest.raises(netguard.BlockedAddressError):
        netguard.vet("https://hooks.example.com/hook")


class Server:
    """A real HTTP server on 127.0.0.1 that answers every POST with ``status`` and ``location``."""

    def __init__(self, status: int = 204, location: str = "") -> None:
        self.requests: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                server.requests.append(dict(self.headers))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    made: list[Server] = []
    yield made
    for server in made:
        server.close()


def make_delivery(vendor, vendor_admin, customer, url: str) -> WebhookDelivery:
    api_actions.create_webhook(admin=vendor_admin, vendor=vendor, url=url, kinds=["posted"])
    thread_actions.create_thread(author=customer, title="Hub offline", body="Help @northwind")
    return WebhookDelivery.objects.get()


def sent(delivery: WebhookDelivery) -> WebhookDelivery:
    """Run the sender once; the delivery as it is afterwards."""
    deliver_due()
    delivery.refresh_from_db()
    return delivery


def test_a_real_loopback_receiver_works_when_allowed(settings, servers, vendor, vendor_admin, customer):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    servers.append(receiver := Server(204))
    delivery = sent(make_delivery(vendor, vendor_admin, customer, f"http://localhost:{receiver.port}/hook"))
    assert delivery.state == "delivered" and len(receiver.requests) == 1
    assert receiver.requests[0]["Host"] == f"localhost:{receiver.port}"  # the name, though the address was pinned


def test_the_vetted_address_is_the_one_connected_to(settings, monkeypatch, servers, vendor, vendor_admin, customer):
    """The host is resolved once; the connection goes to that address with the original Host header."""
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    servers.append(receiver := Server(204))
    # Only this resolver knows the name: a second lookup anywhere else would fail to connect.
    asked = fake_dns(monkeypatch, {"hooks.northwind.test": ["127.0.0.1"]})
    delivery = make_delivery(vendor, vendor_admin, customer, f"http://hooks.northwind.test:{receiver.port}/hook")
    asked.clear()
    deliver_due()
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    assert asked == ["hooks.northwind.test"]
    assert receiver.requests[0]["Host"] == f"hooks.northwind.test:{receiver.port}"


def test_a_name_that_rebinds_to_a_private_address_is_not_sent(settings, monkeypatch, vendor, vendor_admin, customer):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    answers = {"hooks.northwind.test": ["93.184.216.34"]}
    fake_dns(monkeypatch, answers)
    delivery = make_delivery(vendor, vendor_admin, customer, "https://hooks.northwind.test/hook")
    answers["hooks.northwind.test"] = ["169.254.169.254"]
    deliver_due()
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.log[-1]["error"] == "blocked address"
    assert delivery.log[-1]["status"] is None


def test_a_redirect_to_loopback_is_not_followed(settings, servers, vendor, vendor_admin, customer):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    servers.append(inside := Server(204))
    servers.append(outside := Server(307, location=f"http://127.0.0.1:{inside.port}/admin"))
    delivery = sent(make_delivery(vendor, vendor_admin, customer, f"http://127.0.0.1:{outside.port}/hook"))
    assert len(outside.requests) == 1 and inside.requests == []
    assert delivery.state == "pending"
    assert delivery.log[-1] == {**delivery.log[-1], "status": 307, "error": "redirect not followed"}


def test_the_delivery_log_shows_a_short_category_not_internal_detail(settings, vendor, vendor_admin, customer):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delivery = sent(make_delivery(vendor, vendor_admin, customer, f"http://127.0.0.1:{port}/hook"))
    assert delivery.log[-1]["error"] == "connection refused"


def test_an_error_status_is_logged_as_its_code(settings, servers, vendor, vendor_admin, customer):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    servers.append(receiver := Server(500))
    delivery = sent(make_delivery(vendor, vendor_admin, customer, f"http://127.0.0.1:{receiver.port}/hook"))
    assert delivery.log[-1]["status"] == 500 and delivery.log[-1]["error"] == "HTTP 500"


def self_signed(tmp_path, name: str) -> tuple[str, str]:
    """A certificate and key for ``name`` that no public CA signed."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


def test_a_pinned_https_send_keeps_sni_and_certificate_checks(
    settings, monkeypatch, tmp_path, vendor, vendor_admin, customer
):
    """Connecting to the vetted address does not turn TLS checks off: SNI names the host, an untrusted cert fails."""
    import ssl

    settings.WEBHOOK_ALLOW_LOOPBACK = True
    cert, key = self_signed(tmp_path, "hooks.northwind.test")
    server_names: list[str | None] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server = Server(204)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    try:
        fake_dns(monkeypatch, {"hooks.northwind.test": ["127.0.0.1"]})
        delivery = sent(make_delivery(vendor, vendor_admin, customer, f"https://hooks.northwind.test:{server.port}/h"))
    finally:
        server.close()
    assert server_names == ["hooks.northwind.test"]  # not the IP address
    assert delivery.state == "pending" and delivery.log[-1]["error"] == "TLS error"
    assert server.requests == []
