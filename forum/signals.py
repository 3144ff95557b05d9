"""Receivers for other apps' signals. They only call actions."""

from allauth.account.signals import email_confirmed
from django.dispatch import receiver

from forum.actions.vendors import verify_staff_by_email


@receiver(email_confirmed)
def make_staff_on_vendor_domain(request, email_address, **kwargs) -> None:
    verify_staff_by_email(user=email_address.user, email=email_address.email)
