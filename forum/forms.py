"""Forms collect input; forum.validation and the actions decide what is valid."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _lazy

from forum import idempotency
from forum.models import NotificationSettings
from forum.validation import clean_body, clean_title, normalise_text, parse_tags


class TextField(forms.CharField):
    """A CharField that unifies line ends before max_length is checked (browsers send CRLF)."""

    def to_python(self, value: object) -> str:
        return normalise_text(super().to_python(value))


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ImagesField(forms.FileField):
    """Several files from one input. Only the count is checked here; forum.attachments checks content."""

    widget = MultipleImageInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", gettext_lazy("Images"))
        kwargs.setdefault(
            "help_text",
            format_lazy(
                gettext_lazy(
                    "Optional: up to {count} screenshots or photos (PNG, JPEG, GIF or WebP, 5 MB each). "
                    "Photo location data is removed."
                ),
                count=settings.BARNRAISE["ATTACHMENTS_PER_POST"],
            ),
        )
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", "image/png,image/jpeg,image/gif,image/webp")

    def clean(self, data, initial=None) -> list:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        limit = settings.BARNRAISE["ATTACHMENTS_PER_POST"]
        if len(files) > limit:
            raise ValidationError(
                gettext("Attach at most %(limit)s images to one post (you chose %(length)s).")
                % {"limit": limit, "length": len(files)}
            )
        return [super(ImagesField, self).clean(f, initial) for f in files]


class IdempotentForm(forms.Form):
    """A form that creates something: a hidden key, new on each page load, makes a repeat harmless."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, initial=idempotency.new_key)

    def clean_idempotency_key(self) -> str | None:
        try:
            return idempotency.clean_key(self.cleaned_data["idempotency_key"])
        except ValidationError as error:
            self.add_error(None, error)  # a hidden field: say it where the person reads errors
            return None


TITLE_REQUIRED = {"required": gettext_lazy("Please give your thread a title.")}
BODY_REQUIRED = {"required": gettext_lazy("Please write something: the post is empty.")}


class AskForm(IdempotentForm):
    title = TextField(
        max_length=settings.BARNRAISE["TITLE_MAX"],
        error_messages=TITLE_REQUIRED,
        label=gettext_lazy("Title"),
        help_text=gettext_lazy("Say what went wrong, like you would to a friend."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "placeholder": gettext_lazy("e.g. Tablet drops wifi after sleep")}
        ),
    )
    body = TextField(
        max_length=settings.BARNRAISE["BODY_MAX"],
        error_messages=BODY_REQUIRED,
        label=gettext_lazy("Details"),
        help_text=gettext_lazy("What you tried, what you expected, exact error messages. Markdown works."),
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    tags = forms.CharField(
        required=False,
        label=gettext_lazy("Tags"),
        help_text=gettext_lazy("Up to 5, separated by spaces or commas: wifi, activation, billing…"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "tag-suggestions", "data-tag-input": ""}),
    )
    images = ImagesField()

    def clean_title(self) -> str:
        return clean_title(self.cleaned_data["title"])

    def clean_body(self) -> str:
        return clean_body(self.cleaned_data["body"])

    def clean_tags(self) -> list[str]:
        return parse_tags(self.cleaned_data["tags"])


class ReplyForm(IdempotentForm):
    body = TextField(
        max_length=settings.BARNRAISE["BODY_MAX"],
        error_messages=BODY_REQUIRED,
        label=gettext_lazy("Your reply"),
        widget=forms.Textarea(attrs={"rows": 6, "data-reply-body": ""}),
    )
    images = ImagesField()

    def clean_body(self) -> str:
        return clean_body(self.cleaned_data["body"])


class EditForm(IdempotentForm):
    title = TextField(
        max_length=settings.BARNRAISE["TITLE_MAX"],
        required=False,
        error_messages=TITLE_REQUIRED,
        label=gettext_lazy("Title"),
    )
    body = TextField(
        max_length=settings.BARNRAISE["BODY_MAX"],
        error_messages=BODY_REQUIRED,
        label=gettext_lazy("Body"),
        widget=forms.Textarea(attrs={"rows": 10}),
    )

    def __init__(self, *args, is_question: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.is_question = is_question
        if not is_question:
            del self.fields["title"]
        else:
            self.fields["title"].required = True

    def clean_title(self) -> str:
        return clean_title(self.cleaned_data["title"])

    def clean_body(self) -> str:
        return clean_body(self.cleaned_data["body"])


def add_action_error(form: forms.Form, error: ValidationError) -> None:
    """Show an error raised by an action on the form, without a 500."""
    form.add_error(None, error)


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["new_thread_live", "daily_digest", "email_replies_mentions"]


# ---- Vendors joining (forum/actions/joining.py) ----


class VendorApplicationForm(IdempotentForm):
    """Lengths are checked by the action, which names them; the form only collects."""

    name = forms.CharField(label=gettext_lazy("Company name"), max_length=10_000)
    handle = forms.CharField(
        label=gettext_lazy("Handle"),
        max_length=200,
        help_text=gettext_lazy("Customers tag the company as @handle: a-z, 0-9 and hyphens."),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    domains = forms.CharField(
        label=gettext_lazy("Domains"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("The company's domains, one per line, like northwind.example. You prove each one next."),
    )

    def clean_domains(self) -> list[str]:
        return [d for d in re.split(r"[\s,]+", self.cleaned_data["domains"]) if d]


class ClaimForm(IdempotentForm):
    domains = VendorApplicationForm.base_fields["domains"]
    description = VendorApplicationForm.base_fields["description"]

    clean_domains = VendorApplicationForm.clean_domains


class VendorProposalForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Company name"), max_length=10_000)
    handle = forms.CharField(
        label=gettext_lazy("Handle"),
        max_length=200,
        help_text=gettext_lazy("How customers will tag it: a-z, 0-9, hyphens."),
    )
    note = forms.CharField(label=gettext_lazy("Why (optional)"), required=False, max_length=500)


class UnclaimedVendorForm(forms.Form):
    name = VendorProposalForm.base_fields["name"]
    handle = VendorProposalForm.base_fields["handle"]


class ArticleForm(IdempotentForm):
    """A knowledge article's text; ``forum.actions.articles.clean`` decides what is valid."""

    title = TextField(max_length=settings.BARNRAISE["TITLE_MAX"], label=_lazy("Title"))
    environment = TextField(
        max_length=300,
        label=_lazy("Environment"),
        help_text=_lazy("Devices, versions, vendors and settings the solution applies to."),
    )
    cause = TextField(
        max_length=5000,
        label=_lazy("Cause"),
        help_text=_lazy("What was wrong. Prefilled with the question: keep only the cause."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    resolution = TextField(
        max_length=settings.BARNRAISE["BODY_MAX"],
        label=_lazy("Resolution"),
        help_text=_lazy("The steps that solved it. Markdown works."),
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class ArticleFixForm(ArticleForm):
    note = TextField(
        max_length=200, label=_lazy("What changed"), help_text=_lazy("Readers see it in the article's history.")
    )


class ArticleFlagForm(forms.Form):
    environment = TextField(
        max_length=300,
        label=_lazy("Your environment"),
        help_text=_lazy("Device, version and settings where it did not work."),
    )


class ArticleRetireForm(forms.Form):
    reason = TextField(max_length=200, label=_lazy("Why retire it"))
