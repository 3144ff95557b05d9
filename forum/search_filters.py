"""The search page's filters and order, checked before anything is queried."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django import forms
from django.utils.translation import gettext, gettext_lazy
from taggit.models import Tag

from forum import search
from forum.models import Vendor

SOLVED_CHOICES = [("", gettext_lazy("Any")), ("yes", gettext_lazy("Solved")), ("no", gettext_lazy("Not solved yet"))]
SORT_CHOICES = [
    ("relevance", gettext_lazy("Best match")),
    ("newest", gettext_lazy("Newest")),
    ("votes", gettext_lazy("Most votes")),
]
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC).date()


class SearchForm(forms.Form):
    """``q`` plus optional filters. Every field is optional; an unknown tag or vendor is an error
    (a typo should say so, not silently return nothing)."""

    q = forms.CharField(required=False, max_length=200, strip=True)
    tag = forms.CharField(required=False, max_length=100, strip=True)
    vendor = forms.CharField(required=False, max_length=60, strip=True)
    solved = forms.ChoiceField(required=False, choices=SOLVED_CHOICES)
    asked_from = forms.DateField(required=False, label=gettext_lazy("Asked from"))
    asked_to = forms.DateField(required=False, label=gettext_lazy("Asked until"))
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)

    def clean_tag(self) -> Tag | None:
        name = self.cleaned_data["tag"].lower()
        if not name:
            return None
        tag = Tag.objects.filter(name=name).first()
        if tag is None:
            raise forms.ValidationError(gettext("There is no tag “%(name)s”.") % {"name": name})
        return tag

    def clean_vendor(self) -> Vendor | None:
        handle = self.cleaned_data["vendor"].lower().lstrip("@")
        if not handle:
            return None
        vendor = Vendor.objects.filter(handle=handle).first()
        if vendor is None:
            raise forms.ValidationError(gettext("There is no vendor @%(handle)s.") % {"handle": handle})
        return vendor

    def _date(self, name: str):
        value = self.cleaned_data[name]
        if value is not None and value < EARLIEST:
            raise forms.ValidationError(gettext("Pick a date after the year 2000."))
        return value

    def clean_asked_from(self):
        return self._date("asked_from")

    def clean_asked_to(self):
        return self._date("asked_to")

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("asked_from"), data.get("asked_to")
        if start and end and start > end:
            raise forms.ValidationError(gettext("The first date must come before the second."))
        return data

    def filters(self) -> search.Filters:
        data = self.cleaned_data
        end = data.get("asked_to")
        solved = {"yes": True, "no": False}.get(data.get("solved") or "")
        return search.Filters(
            tag_id=data["tag"].pk if data.get("tag") else None,
            vendor_id=data["vendor"].pk if data.get("vendor") else None,
            solved=solved,
            asked_from=datetime.combine(data["asked_from"], time.min, UTC) if data.get("asked_from") else None,
            # Until the end of that day: the bound is exclusive.
            asked_before=datetime.combine(end + timedelta(days=1), time.min, UTC) if end else None,
        )

    def order(self) -> str:
        return self.cleaned_data.get("sort") or "relevance"

    def is_filtered(self) -> bool:
        return self.filters() != search.NO_FILTERS
