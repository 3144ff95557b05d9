"""The account settings page: name, avatar, time zone and language, links to the rest, and deleting the account."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from forum import access, avatars, ratelimit
from forum.actions import accounts
from forum.models import User
from forum.views.community import ATTACHMENT_CSP, limit_upload_size

# An avatar's address changes with every upload, so a copy never goes stale: cache it for a month.
AVATAR_CACHE = "public, max-age=2592000, immutable"


class NameForm(forms.Form):
    display_name = forms.CharField(
        required=False,
        max_length=200,  # the action gives the clear message for anything over its own limit
        label=gettext_lazy("Your name"),
        help_text=gettext_lazy("Shown beside your posts. Leave it empty to show your username."),
    )

    def clean_display_name(self) -> str:
        return accounts.clean_display_name(self.cleaned_data["display_name"])


class AvatarForm(forms.Form):
    # A FileField, not an ImageField: forum.avatars identifies and re-encodes the image itself.
    avatar = forms.FileField(
        label=gettext_lazy("Choose a picture"),
        help_text=gettext_lazy("PNG, JPEG, GIF or WebP. It is cropped to a square; photo metadata is removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )


class PreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Time zone"),
        help_text=gettext_lazy("Times on every page are shown in this zone."),
    )
    language = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Language"),
        help_text=gettext_lazy("Pages are shown in this language when you are signed in."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        default_zone = _("Site default (%(zone)s)") % {"zone": settings.TIME_ZONE}
        self.fields["time_zone"].choices = [("", default_zone)] + [(z, z) for z in accounts.time_zone_choices()]
        self.fields["language"].choices = [("", _("Your browser's language"))] + [
            (code, name) for code, name in settings.LANGUAGES
        ]


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        required=False,
        label=gettext_lazy("Code from your authenticator app (or a recovery code)"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    confirm = forms.BooleanField(label=gettext_lazy("I understand that this cannot be undone."))

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.needs_code = _has_codes(user)
        if not self.needs_code:
            del self.fields["code"]

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        try:
            ratelimit.check(user_id=self.user.pk, action="account_delete")
        except ratelimit.RateLimitedError as limited:
            minutes = max(1, limited.retry_after // 60)
            raise ValidationError(
                _("Too many attempts. Try again in %(minutes)d minutes.") % {"minutes": minutes}
            ) from None
        if not self.user.check_password(password):
            raise ValidationError(_("That is not your password."))
        return password

    def clean_code(self) -> str:
        code = (self.cleaned_data.get("code") or "").strip()
        if not code:
            raise ValidationError(_("Enter a code from your authenticator app or a recovery code."))
        if not _valid_code(self.user, code):
            raise ValidationError(_("That code is not valid."))
        return code


def _has_codes(user: User) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
    ).exists()


def _valid_code(user: User, code: str) -> bool:
    """A current authenticator-app code or an unused recovery code (allauth checks and spends it)."""
    from allauth.mfa.models import Authenticator

    for authenticator in Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
    ):
        if authenticator.wrap().validate_code(code):
            return True
    return False


def _page(request: HttpRequest, status: int = 200, **forms_given) -> HttpResponse:
    user = request.user
    context = {
        "form": forms_given.get("form") or NameForm(initial={"display_name": user.display_name}),
        "avatar_form": forms_given.get("avatar_form") or AvatarForm(),
        "preferences_form": forms_given.get("preferences_form")
        or PreferencesForm(initial={"time_zone": user.time_zone, "language": user.language}),
    }
    return render(request, "forum/account_settings.html", context, status=status)


def _save(request: HttpRequest, form, field: str, write, saved: str, form_name: str) -> HttpResponse:
    """One settings form: validate, call its action, say so and go back; or show the form's errors."""
    if form.is_valid():
        try:
            write(form.cleaned_data[field])
        except ValidationError as error:
            form.add_error(field, error)
        else:
            messages.success(request, saved)
            return redirect("forum:account_settings")
    return _page(request, status=400, **{form_name: form})


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    return _save(
        request,
        NameForm(request.POST),
        "display_name",
        lambda name: accounts.update_display_name(user=request.user, display_name=name),
        _("Your name is saved."),
        "form",
    )


@login_required
@require_POST
@limit_upload_size
def avatar_upload(request: HttpRequest) -> HttpResponse:
    return _save(
        request,
        AvatarForm(request.POST, request.FILES),
        "avatar",
        lambda upload: accounts.set_avatar(user=request.user, upload=upload),
        _("Your picture is saved."),
        "avatar_form",
    )


@login_required
@require_POST
def avatar_remove(request: HttpRequest) -> HttpResponse:
    accounts.remove_avatar(user=request.user)
    messages.success(request, _("Your picture is removed; your initials are shown instead."))
    return redirect("forum:account_settings")


@login_required
@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST)
    if form.is_valid():
        try:
            accounts.update_preferences(
                user=request.user,
                time_zone=form.cleaned_data["time_zone"],
                language=form.cleaned_data["language"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your time zone and language are saved."))
            return redirect("forum:account_settings")
    return _page(request, status=400, preferences_form=form)


@login_required
def delete_account(request: HttpRequest) -> HttpResponse:
    """Confirm with the password (and a second-factor code, when set up); then sign out and say goodbye."""
    user = request.user
    if not access.can_delete_account(user, user):
        message = _(
            "This account cannot be deleted here: site administrators and vendor service accounts are "
            "removed by another administrator."
        )
        return render(request, "error.html", {"title": _("Account not deleted"), "message": message}, status=403)
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.delete_account(actor=user, user=user)
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error.messages[0] if isinstance(error, ValidationError) else str(error))
        else:
            logout(request)
            return render(request, "forum/account_deleted.html")
    return render(request, "forum/account_delete.html", {"form": form}, status=400 if form.errors else 200)


def avatar(request: HttpRequest, key: str, size: int) -> FileResponse:
    """An avatar rendition from storage, only while someone's current picture; cached for long."""
    if not avatars.KEY.match(key) or size not in avatars.SIZES:
        raise Http404(_("No such picture."))
    if not User.objects.filter(avatar_key=key, deleted_at__isnull=True).exists():
        raise Http404(_("No such picture."))
    try:
        handle = default_storage.open(avatars.path(key, size), "rb")
    except OSError:
        raise Http404(_("No such picture.")) from None
    response = FileResponse(handle, content_type="image/webp")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = ATTACHMENT_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = AVATAR_CACHE
    return response
