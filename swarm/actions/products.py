"""A vendor's products: a name and aliases that routing rules match in new escalations.

Like teams, products are the vendor's own configuration: changing them records no thread event.
A name or alias is a "term", lowercased and unique per vendor, so one word always names one product.
Terms go through radar's keyword cleaning, and match the way radar keywords do: whole words.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from forum.models import User, Vendor
from forum.validation import normalise_text
from swarm.actions import radar
from swarm.actions.teams import _require_admin
from swarm.models import Product, ProductTerm

NAME_MAX = 60
MAX_PRODUCTS = 100
MAX_ALIASES = 20


def _name(name: object) -> str:
    name = " ".join(normalise_text(str(name or "")).split())
    if not name:
        raise ValidationError(_("Give the product a name, like “Surface Pro”."), code="no_name")
    if len(name) > NAME_MAX:
        raise ValidationError(_("Keep product names under %(most)s characters.") % {"most": NAME_MAX}, code="too_long")
    return name


def _term(text: str) -> str:
    try:
        return radar.clean_phrase(text)
    except ValidationError as error:
        raise ValidationError(
            _("“%(alias)s” can't be an alias: %(why)s") % {"alias": text[:60], "why": error.messages[0]},
            code="bad_alias",
        ) from None


def parse_aliases(aliases: str | list[str]) -> list[str]:
    """Aliases separated by commas or new lines (or a list), cleaned; a repeated one is refused."""
    items = aliases.replace("\n", ",").split(",") if isinstance(aliases, str) else list(aliases)
    items = [str(item).strip() for item in items if str(item).strip()]
    if len(items) > MAX_ALIASES:
        raise ValidationError(
            _("A product can have at most %(most)s aliases.") % {"most": MAX_ALIASES}, code="too_many"
        )
    terms: list[str] = []
    for item in items:
        term = _term(item)
        if term in terms:
            raise ValidationError(_("“%(alias)s” is given twice.") % {"alias": term}, code="duplicate_alias")
        terms.append(term)
    return terms


def _save_terms(product: Product, terms: list[str]) -> None:
    """Replace the product's terms; a term another product of the vendor already has is refused by name."""
    taken = (
        ProductTerm.objects.filter(vendor_id=product.vendor_id, term__in=terms)
        .exclude(product=product)
        .select_related("product")
        .first()
    )
    if taken is not None:
        raise ValidationError(
            _("“%(alias)s” already names %(product)s.") % {"alias": taken.term, "product": taken.product.name},
            code="taken",
        )
    ProductTerm.objects.filter(product=product).exclude(term__in=terms).delete()
    have = set(ProductTerm.objects.filter(product=product).values_list("term", flat=True))
    ProductTerm.objects.bulk_create(
        [ProductTerm(vendor_id=product.vendor_id, product=product, term=t) for t in terms if t not in have]
    )


def _locked(vendor: Vendor) -> None:
    """One writer of a vendor's products at a time, so two admins can't give one alias to two products."""
    Vendor.objects.select_for_update().filter(pk=vendor.pk).values_list("pk", flat=True).get()


def create_product(*, admin: User, vendor: Vendor, name: object, aliases: str | list[str] = "") -> Product:
    _require_admin(admin, vendor)
    name = _name(name)
    terms = [_term(name)]
    for alias in parse_aliases(aliases):
        if alias in terms:
            raise ValidationError(_("“%(alias)s” is the product's name already.") % {"alias": alias}, code="duplicate")
        terms.append(alias)
    try:
        with transaction.atomic():
            _locked(vendor)
            if Product.objects.filter(vendor=vendor).count() >= MAX_PRODUCTS:
                raise ValidationError(
                    _("A vendor can have at most %(most)s products.") % {"most": MAX_PRODUCTS}, code="too_many"
                )
            product = Product.objects.create(vendor=vendor, name=name)
            _save_terms(product, terms)
            return product
    except IntegrityError:  # a concurrent writer on a database without row locks
        raise ValidationError(_("One of those names is already taken; try again."), code="taken") from None


def set_aliases(*, admin: User, product: Product, aliases: str | list[str]) -> Product:
    """Replace the product's aliases (its name always stays a term)."""
    _require_admin(admin, product.vendor)
    name_term = product.name.lower()
    terms = [name_term] + [a for a in parse_aliases(aliases) if a != name_term]
    with transaction.atomic():
        _locked(product.vendor)
        _save_terms(product, terms)
    return product


def delete_product(*, admin: User, product: Product) -> None:
    """Its routing rules go with it."""
    _require_admin(admin, product.vendor)
    product.delete()


def find_product(*, vendor: Vendor, text: str) -> Product | None:
    """The vendor's product that ``text`` names (its name or an alias, any case)."""
    term = " ".join(normalise_text(str(text or "")).split()).lower()
    found = ProductTerm.objects.filter(vendor=vendor, term=term).select_related("product").first()
    return found.product if found else None
