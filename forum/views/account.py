"""The account settings page: one place that links everything a person sets about themselves."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy

from forum.actions import accounts


class NameForm(forms.Form):
    display_name = forms.CharField(
        required=False,
        max_length=200,  # the action gives the clear message for anything over its own limit
        label=gettext_lazy("Your name"),
        help_text=gettext_lazy("Shown beside your posts. Leave it empty to show your username."),
    )

    def clean_display_name(self) -> str:
        return accounts.clean_display_name(self.cleaned_data["display_name"])


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    form = NameForm(request.POST or None, initial={"display_name": request.user.display_name})
    if request.method == "POST" and form.is_valid():
        try:
            accounts.update_display_name(user=request.user, display_name=form.cleaned_data["display_name"])
        except ValidationError as error:
            form.add_error("display_name", error)
        else:
            messages.success(request, gettext("Your name is saved."))
            return redirect("forum:account_settings")
    return render(request, "forum/account_settings.html", {"form": form}, status=400 if form.errors else 200)
