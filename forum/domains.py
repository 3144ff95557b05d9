"""Domains a vendor claims, and the two ways to prove control of one (docs/vendors.md).

- DNS: a TXT record ``barnraise-verification=<token>`` on the domain itself, looked up
  with dnspython at ``VENDOR_DNS_RESOLVER``:``VENDOR_DNS_PORT`` (the system's resolvers
  when unset).
- Email: a signed link, valid ``VENDOR_EMAIL_PROOF_MAX_AGE`` seconds and once only,
  mailed to an address at the domain that the applicant chooses.
"""

from __future__ import annotations

import ipaddress
import re

import dns.exception
import dns.resolver
import idna
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext

from forum.validation import normalise_text

TXT_PREFIX = "barnraise-verification="
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SIGNING_SALT = "barnraise.vendor-domain-proof"
MAX_DOMAINS = 5


class DnsUnavailableError(Exception):
    """The DNS server did not answer: nothing was decided, try again later."""


def clean_domain(value: str) -> str:
    """The domain in its ASCII (IDNA) form, lowercase, or a clear refusal."""
    raw = normalise_text(value).strip().rstrip(".").lower()  # no NUL or control characters, even in messages
    shown = raw[:60]
    if not raw:
        raise ValidationError(gettext("Enter a domain, like northwind.example."), code="domain_empty")
    if "://" in raw or "/" in raw or "@" in raw:
        raise ValidationError(
            gettext(
                "“%(shown)s” is not a domain: give only the name, like "
                "northwind.example, without http:// or an address."
            )
            % {"shown": shown},
            code="domain_invalid",
        )
    if _is_ip(raw):
        raise ValidationError(
            gettext("“%(shown)s” is an IP address; give a domain name.") % {"shown": shown}, code="domain_ip"
        )
    if len(raw) > 253:
        raise ValidationError(gettext("That domain is too long: at most 253 characters."), code="domain_long")
    try:
        ascii_domain = idna.encode(raw, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ValidationError(
            gettext("“%(shown)s” is not a valid domain name (letters, digits and hyphens, separated by dots).")
            % {"shown": shown},
            code="domain_invalid",
        ) from None
    labels = ascii_domain.split(".")
    if len(labels) < 2:
        raise ValidationError(
            gettext("“%(shown)s” has no dot: give the full domain, like northwind.example.") % {"shown": shown},
            code="domain_dot",
        )
    if len(ascii_domain) > 253:
        raise ValidationError(gettext("That domain is too long: at most 253 characters."), code="domain_long")
    if not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ValidationError(
            gettext("“%(shown)s” is not a valid domain name (letters, digits and hyphens, separated by dots).")
            % {"shown": shown},
            code="domain_invalid",
        )
    return ascii_domain


def clean_domains(values: list[str]) -> list[str]:
    domains: list[str] = []
    for value in values:
        if not value.strip():
            continue
        if len(domains) == MAX_DOMAINS:  # stop early: a pasted list of thousands is refused at once
            raise ValidationError(
                gettext("Give at most %(max_domains)s domains.") % {"max_domains": MAX_DOMAINS}, code="too_many_domains"
            )
        if (domain := clean_domain(value)) not in domains:
            domains.append(domain)
    if not domains:
        raise ValidationError(
            gettext("Give at least one domain the company owns, like northwind.example."), code="no_domain"
        )
    return domains


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def _resolver() -> dns.resolver.Resolver:
    address = settings.VENDOR_DNS_RESOLVER
    resolver = dns.resolver.Resolver(configure=not address)
    if address:
        resolver.nameservers = [address]
        resolver.port = settings.VENDOR_DNS_PORT
    resolver.lifetime = settings.VENDOR_DNS_TIMEOUT
    resolver.timeout = settings.VENDOR_DNS_TIMEOUT
    return resolver


def verification_tokens(domain: str) -> list[str]:
    """The tokens of every ``barnraise-verification=`` TXT record on the domain (empty when none)."""
    try:
        answer = _resolver().resolve(domain, "TXT", raise_on_no_answer=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.LifetimeTimeout) as error:
        raise DnsUnavailableError(str(error)) from error
    except dns.exception.DNSException as error:
        raise DnsUnavailableError(str(error)) from error
    tokens = []
    for record in answer.rrset or []:
        # A TXT record may be split into several strings of at most 255 bytes: join them.
        text = b"".join(record.strings).decode("utf-8", "replace").strip()
        if text.startswith(TXT_PREFIX):
            tokens.append(text[len(TXT_PREFIX) :].strip())
    return tokens


def clean_proof_address(local_part: str, domain: str) -> str:
    """The address at ``domain`` the proof link goes to: only the part before the @ is chosen."""
    local = (local_part or "").strip()
    if "@" in local:
        local, _, at = local.rpartition("@")
        if at.lower().rstrip(".") != domain:
            raise ValidationError(
                gettext("The address must be at %(domain)s itself.") % {"domain": domain}, code="email_other_domain"
            )
    address = f"{local}@{domain}"
    try:
        EmailValidator()(address)
    except ValidationError:
        raise ValidationError(
            gettext("“%(value)s” is not an email address.") % {"value": address[:80]}, code="email_invalid"
        ) from None
    return address.lower()


def sign_proof_link(*, proof_id: int, nonce: str) -> str:
    return signing.dumps({"p": proof_id, "n": nonce}, salt=_SIGNING_SALT, compress=True)


def read_proof_link(key: str) -> tuple[int, str]:
    """The proof and nonce a mailed link carries; refused when forged, garbled or expired."""
    try:
        data = signing.loads(key, salt=_SIGNING_SALT, max_age=settings.VENDOR_EMAIL_PROOF_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(
            gettext("This link has expired. Ask for a new one from the application page."), code="link_expired"
        ) from None
    except signing.BadSignature:
        raise ValidationError(
            gettext("This link is not valid. Copy the whole link from the email."), code="link_bad"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or not isinstance(data.get("n"), str):
        raise ValidationError(gettext("This link is not valid. Copy the whole link from the email."), code="link_bad")
    return data["p"], data["n"]
