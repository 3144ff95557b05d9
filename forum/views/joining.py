"""Vendors joining from the browser: apply, prove domains, review, claim, propose and list unclaimed vendors.

Each view parses, calls one action in forum/actions/joining.py, and redirects or re-renders.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from forum import access
from forum.actions import joining
from forum.forms import ClaimForm, UnclaimedVendorForm, VendorApplicationForm, VendorProposalForm
from forum.models import DomainProof, Vendor, VendorApplication, VendorProposal
from forum.ratelimit import RateLimitedError

# Where an action's refusal is shown: next to the field it is about.
_FIELD_OF_CODE = {"handle": "handle", "domain": "domains", "no": "domains", "too": "domains", "name": "name"}


def _add_error(form: Form, error: ValidationError) -> None:
    code = (getattr(error, "code", None) or "").split("_")[0]
    field = _FIELD_OF_CODE.get(code, "description" if code == "description" else None)
    form.add_error(field if field in form.fields else None, error.messages[0])


def _render_form(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, template, context, status=400 if context["form"].errors else 200)


@login_required
def apply(request: HttpRequest) -> HttpResponse:
    joining.require_applicant(request.user)
    form = VendorApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = joining.apply_for_vendor(applicant=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_error(form, error)
        else:
            messages.success(
                request, gettext("Application saved. Prove each domain below; nothing is public until then.")
            )
            return redirect("forum:vendor_application", application.pk)
    return _render_form(request, "forum/vendor_apply.html", {"form": form})


@login_required
def claim(request: HttpRequest, handle: str) -> HttpResponse:
    vendor = get_object_or_404(Vendor, handle=handle.lower())
    joining.require_applicant(request.user)
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = joining.start_claim(applicant=request.user, vendor=vendor, **form.cleaned_data)
        except ValidationError as error:
            _add_error(form, error)
        else:
            messages.success(
                request,
                gettext("Prove that %(name)s owns these domains to claim @%(handle)s.")
                % {"name": vendor.name, "handle": vendor.handle},
            )
            return redirect("forum:vendor_application", application.pk)
    return _render_form(request, "forum/vendor_apply.html", {"form": form, "claiming": vendor})


@login_required
def application(request: HttpRequest, application_id: int) -> HttpResponse:
    found = get_object_or_404(VendorApplication.objects.select_related("vendor"), pk=application_id)
    access.require(
        found.applicant_id == request.user.pk or access.can_review_vendors(request.user),
        gettext("Only the person who applied and site admins see an application."),
    )
    context = {
        "application": found,
        "proofs": list(found.domains.all()),
        "approval_required": settings.VENDOR_APPROVAL_REQUIRED,
        "can_review": access.can_review_vendors(request.user),
    }
    return render(request, "forum/vendor_application.html", context)


def _proof(request: HttpRequest, application_id: int, proof_id: int) -> DomainProof:
    return get_object_or_404(
        DomainProof.objects.select_related("application"), pk=proof_id, application_id=application_id
    )


def _after_proof(request: HttpRequest, found: VendorApplication) -> HttpResponse:
    if found.status == VendorApplication.Status.APPROVED:
        messages.success(
            request, gettext("%(name)s is on Barnraise, and you are its first admin.") % {"name": found.name}
        )
        return redirect(found.vendor)
    if found.status == VendorApplication.Status.REVIEW:
        messages.success(request, gettext("Every domain is proven. A site admin will review the application."))
    else:
        messages.success(request, gettext("Domain proven. Prove the others to finish."))
    return redirect("forum:vendor_application", found.pk)


@login_required
@require_POST
def check_dns(request: HttpRequest, application_id: int, proof_id: int) -> HttpResponse:
    proof = _proof(request, application_id, proof_id)
    try:
        found = joining.check_dns_proof(user=request.user, proof=proof)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("forum:vendor_application", application_id)
    return _after_proof(request, found)


@login_required
@require_POST
def send_email(request: HttpRequest, application_id: int, proof_id: int) -> HttpResponse:
    proof = _proof(request, application_id, proof_id)
    try:
        proof = joining.send_email_proof(user=request.user, proof=proof, address=request.POST.get("address", ""))
    except (ValidationError, RateLimitedError) as error:
        messages.error(request, error.messages[0] if isinstance(error, ValidationError) else str(error))
    else:
        messages.success(
            request,
            gettext("Sent a link to %(email)s. Open it and confirm to prove %(domain)s.")
            % {"email": proof.email, "domain": proof.domain},
        )
    return redirect("forum:vendor_application", application_id)


def proof_link(request: HttpRequest, key: str) -> HttpResponse:
    """The mailed link: a GET shows what is confirmed (and changes nothing); the button POSTs."""
    try:
        proof = joining.proof_for_link(key)
        if request.method == "POST":
            found = joining.confirm_email_proof(key=key, user=request.user if request.user.is_authenticated else None)
            if request.user.is_authenticated and request.user.pk == found.applicant_id:
                return _after_proof(request, found)
            messages.success(
                request,
                gettext("Thank you: %(domain)s is proven for %(name)s.") % {"domain": proof.domain, "name": found.name},
            )
            return redirect("forum:home")
    except ValidationError as error:
        return render(request, "forum/vendor_proof_link.html", {"error": error.messages[0]}, status=400)
    return render(request, "forum/vendor_proof_link.html", {"proof": proof})


@login_required
def review(request: HttpRequest) -> HttpResponse:
    access.require(access.can_review_vendors(request.user), gettext("Only site admins review new vendors."))
    waiting = VendorApplication.objects.filter(status=VendorApplication.Status.REVIEW).select_related("applicant")
    return render(request, "forum/vendor_review.html", {"waiting": waiting.prefetch_related("domains")})


@login_required
@require_POST
def decide(request: HttpRequest, application_id: int) -> HttpResponse:
    found = get_object_or_404(VendorApplication, pk=application_id)
    decision = request.POST.get("decision")
    try:
        if decision == "approve":
            joining.approve_application(admin=request.user, application=found)
            messages.success(request, gettext("%(name)s joined Barnraise.") % {"name": found.name})
        elif decision == "decline":
            joining.decline_application(admin=request.user, application=found, reason=request.POST.get("reason", ""))
            messages.success(request, gettext("Declined the application for @%(handle)s.") % {"handle": found.handle})
        else:
            messages.error(request, gettext("Choose approve or decline."))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("forum:vendor_review")


@login_required
def propose(request: HttpRequest) -> HttpResponse:
    joining.require_applicant(request.user)
    form = VendorProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            joining.propose_vendor(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_error(form, error)
        else:
            messages.success(
                request, gettext("Thanks: a moderator will look at it. Customers can escalate once it is listed.")
            )
            return redirect("forum:home")
    return _render_form(request, "forum/vendor_propose.html", {"form": form})


@login_required
def unclaimed(request: HttpRequest) -> HttpResponse:
    """Moderators: list a company as an unclaimed vendor, and decide customers' proposals."""
    access.require(access.can_list_unclaimed(request.user), gettext("Only moderators list unclaimed vendors."))
    form = UnclaimedVendorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            vendor = joining.list_unclaimed_vendor(moderator=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_error(form, error)
        else:
            messages.success(
                request, gettext("Listed @%(handle)s. Customers can escalate to it now.") % {"handle": vendor.handle}
            )
            return redirect(vendor)
    proposals = VendorProposal.objects.filter(status=VendorProposal.Status.PENDING).select_related("proposed_by")
    return _render_form(request, "forum/vendor_unclaimed_admin.html", {"form": form, "proposals": proposals})


@login_required
@require_POST
def decide_proposal(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = get_object_or_404(VendorProposal, pk=proposal_id)
    decision = request.POST.get("decision")
    if decision not in ("list", "decline"):
        messages.error(request, gettext("Choose list or decline."))
        return redirect("forum:vendor_unclaimed")
    approve = decision == "list"
    try:
        proposal = joining.decide_proposal(moderator=request.user, proposal=proposal, approve=approve)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            gettext("Listed @%(handle)s.") % {"handle": proposal.handle}
            if approve
            else gettext("Declined @%(handle)s.") % {"handle": proposal.handle},
        )
    return redirect("forum:vendor_unclaimed")
