"""Receivers for other apps' signals. They only call actions."""

from allauth.account.models import EmailAddress
from allauth.account.signals import email_changed, email_confirmed, email_removed, user_logged_in
from allauth.socialaccount.signals import social_account_added, social_account_removed
from django.db.models.signals import post_delete
from django.dispatch import receiver

from forum.actions.vendors import recheck_email_staff, verify_staff_by_email


@receiver(email_confirmed)
def make_staff_on_vendor_domain(request, email_address, **kwargs) -> None:
    verify_staff_by_email(user=email_address.user, email=email_address.email, email_address=email_address)


@receiver(email_removed)
def end_staff_of_removed_address(request, user, email_address, **kwargs) -> None:
    recheck_email_staff(user=user)


@receiver(email_changed)
def end_staff_of_changed_address(request, user, from_email_address, to_email_address, **kwargs) -> None:
    recheck_email_staff(user=user)


@receiver(post_delete, sender=EmailAddress)
def end_staff_of_deleted_address(sender, instance, **kwargs) -> None:
    """Addresses deleted outside allauth's pages (the admin, a script) end staff status too."""
    if instance.user_id is not None:
        from forum.models import User

        user = User.objects.filter(pk=instance.user_id).first()
        if user is not None:
            recheck_email_staff(user=user)


@receiver(user_logged_in)
def vouch_on_sso_sign_in(request, user, sociallogin=None, **kwargs) -> None:
    """A sign-in through a vendor's identity provider grants or renews that vendor's staff status."""
    if sociallogin is not None:
        from forum import sso

        sso.vouch(sociallogin=sociallogin)


@receiver(social_account_added)
def vouch_on_sso_connect(request, sociallogin, **kwargs) -> None:
    from forum import sso

    sso.vouch(sociallogin=sociallogin)


@receiver(social_account_removed)
def end_staff_of_unlinked_account(request, socialaccount, **kwargs) -> None:
    """Unlinking the account at a vendor's provider ends the staff status it vouched for."""
    from forum import sso
    from forum.actions.sso import end_sso_staff

    vendor_sso = sso.vendor_sso_for(socialaccount.provider)
    if vendor_sso is not None:
        end_sso_staff(user=socialaccount.user, vendor=vendor_sso.vendor)
