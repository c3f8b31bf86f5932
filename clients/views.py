"""Client pages: caseload, registration, the record page, allocation, search, break-glass,
professional executors, joint cases and the client's portal access. Each view: access → form →
service → response."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clients import access, services
from clients.access import Purpose
from clients.forms import (
    ActivateExecutorForm,
    AllocateForm,
    BreakGlassForm,
    ClosePortalForm,
    EndForm,
    IdentityForm,
    JointCaseForm,
    NameExecutorForm,
    RegisterForm,
    SearchForm,
)
from clients.models import Client, ProfessionalExecutor
from practice.accounts.decorators import role_required
from practice.accounts.models import Role, User


@role_required(Role.COUNSELLOR)
def caseload(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    clients = list(access.caseload(user).order_by("status", "reference"))
    identities = access.identities_for_caseload(user, clients, request=request)
    rows = [(client, identities.get(client.pk)) for client in clients]
    return render(
        request,
        "clients/client_caseload.html",
        {"rows": rows, "joint_cases": access.joint_cases_visible_to(user)},
    )


@role_required(Role.MANAGER)
def allocation_list(request: HttpRequest) -> HttpResponse:
    """Every client with their allocation, for the service manager. Names are shown because
    allocating needs them (each one audited); notes are never reachable from here."""
    user: User = request.user  # type: ignore[assignment]
    clients = list(
        access.clients_visible_to(user, Purpose.ALLOCATE)
        .select_related("counsellor")
        .order_by("status", "reference")
    )
    identities = access.identities_for_caseload(user, clients, request=request)
    rows = [(client, identities.get(client.pk)) for client in clients]
    return render(request, "clients/client_allocation_list.html", {"rows": rows})


@role_required(Role.COUNSELLOR, Role.MANAGER)
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    can_allocate = user.has_role(Role.MANAGER)
    form = RegisterForm(
        request.POST if request.method == "POST" else None, can_allocate=can_allocate
    )
    if request.method == "POST" and form.is_valid():
        try:
            client = services.register(
                by=user,
                identity=form.identity_values(),
                counsellor=form.cleaned_data.get("counsellor"),
                is_minor=form.cleaned_data["is_minor"],
                opened_on=form.cleaned_data["opened_on"],
                request=request,
            )
        except services.ClientError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Client registered as %(ref)s.") % {"ref": client.reference}
            )
            if access.can(user, client, Purpose.OVERVIEW):
                return redirect(client)
            return redirect("clients:allocation")
    return render(request, "clients/client_register.html", {"form": form})


def detail(request: HttpRequest, reference: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = access.client_for(user, reference, Purpose.OVERVIEW)
    may_see_identity = access.can(user, client, Purpose.IDENTITY)
    identity = access.identity_for(user, client, request=request) if may_see_identity else None
    route = access.access_route(user, client)
    return render(
        request,
        "clients/client_detail.html",
        {
            "client": client,
            "identity": identity,
            "route": route,
            "may_read_notes": access.can(user, client, Purpose.NOTES_READ),
            "may_write": access.can(user, client, Purpose.NOTES_WRITE),
            "may_allocate": access.can(user, client, Purpose.ALLOCATE),
            "joint_cases": client.joint_cases.all() if route == "allocated" else [],
            "portal": _portal_panel(user, client),
        },
    )


def _portal_panel(user: User, client: Client) -> dict[str, object] | None:
    """What the client page shows about portal access, to those who may invite (the allocated
    counsellor and service managers); None for everyone else, who see no panel at all."""
    if not services.may_invite(user, client):
        return None
    account = access.portal_account_for(user, client)
    latest = access.invitations_for(user, client).first()
    return {
        "account": account,
        "account_active": account is not None and account.user.is_active,
        "open_invitation": latest if latest is not None and latest.is_open() else None,
        "latest_invitation": latest,
    }


@require_http_methods(["GET", "POST"])
def edit_identity(request: HttpRequest, reference: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = access.client_for(user, reference, Purpose.NOTES_WRITE)
    identity = access.identity_for(user, client, request=request)
    if identity is None:
        raise Http404
    initial = {name: getattr(identity, name) for name in IdentityForm.IDENTITY_FIELDS}
    form = IdentityForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = services.update_identity(
            identity, by=user, changes=form.identity_values(), request=request
        )
        messages.success(request, _("Details saved.") if changed else _("Nothing was changed."))
        return redirect(client)
    return render(request, "clients/client_identity_form.html", {"client": client, "form": form})


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def allocate(request: HttpRequest, reference: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = access.client_for(user, reference, Purpose.ALLOCATE)
    form = AllocateForm(
        request.POST if request.method == "POST" else None,
        initial={"counsellor": client.counsellor_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.allocate(client, to=form.cleaned_data["counsellor"], by=user, request=request)
        except services.ClientError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Allocation saved."))
            return redirect(client)
    return render(request, "clients/client_allocate.html", {"client": client, "form": form})


@require_http_methods(["GET", "POST"])
def end(request: HttpRequest, reference: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = access.client_for(user, reference, Purpose.NOTES_WRITE)
    form = EndForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.end_counselling(
                client, by=user, ended_on=form.cleaned_data["ended_on"], request=request
            )
        except services.ClientError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Counselling marked as ended."))
            return redirect(client)
    return render(request, "clients/client_end.html", {"client": client, "form": form})


@role_required(Role.COUNSELLOR, Role.MANAGER)
@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    """Exact-match search through keyed blind indexes, within the clients one may identify.

    A POST, so that a name, date of birth or e-mail never lands in a URL (and from there in
    server logs and browser history)."""
    user: User = request.user  # type: ignore[assignment]
    form = SearchForm(request.POST if request.method == "POST" else None)
    results = None
    if request.method == "POST" and form.is_valid():
        clients = access.clients_matching(
            user,
            family_name=form.cleaned_data["family_name"],
            date_of_birth=form.cleaned_data["date_of_birth"],
            email=form.cleaned_data["email"],
        )
        found = access.identities_for_caseload(user, clients, request=request)
        results = [(client, found.get(client.pk)) for client in clients]
    return render(request, "clients/client_search.html", {"form": form, "results": results})


@role_required(Role.COUNSELLOR)
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = BreakGlassForm(
        request.POST if request.method == "POST" else None,
        initial={"reference": request.GET.get("reference", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            client = access.client_for_break_glass(user, form.cleaned_data["reference"])
        except Http404:
            form.add_error(
                "reference", _("There is no other counsellor's client with that reference.")
            )
        else:
            try:
                services.break_glass(
                    client, by=user, reason=form.cleaned_data["reason"], request=request
                )
            except services.ClientError as error:
                form.add_error(None, str(error))
            else:
                messages.warning(
                    request,
                    _(
                        "Break-glass access to %(ref)s is open for 60 minutes, read-only. "
                        "The service manager has been told."
                    )
                    % {"ref": client.reference},
                )
                return redirect(client)
    return render(request, "clients/accessgrant_break_glass.html", {"form": form})


@role_required(Role.MANAGER)
@require_POST
def review_break_glass(request: HttpRequest, grant_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    grant = get_object_or_404(access.break_glass_for_review(user), pk=grant_id)
    try:
        services.review_break_glass(grant, by=user, request=request)
    except services.ClientError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Marked as reviewed."))
    return redirect("manager_home")


@role_required(Role.COUNSELLOR, Role.MANAGER)
@require_http_methods(["GET", "POST"])
def executors(request: HttpRequest) -> HttpResponse:
    """Counsellors name their professional executors; managers activate them."""
    user: User = request.user  # type: ignore[assignment]
    form = None
    if user.has_role(Role.COUNSELLOR):
        form = NameExecutorForm(request.POST if request.method == "POST" else None, counsellor=user)
        if request.method == "POST" and form.is_valid():
            try:
                services.name_executor(
                    counsellor=user,
                    executor=form.cleaned_data["executor"],
                    by=user,
                    request=request,
                )
            except services.ClientError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Executor named."))
                return redirect("clients:executors")
    return render(
        request,
        "clients/professionalexecutor_list.html",
        {
            "form": form,
            "mine": ProfessionalExecutor.objects.filter(counsellor=user).select_related("executor"),
            "to_activate": access.executorships_to_activate(user),
            "activate_form": ActivateExecutorForm(),
        },
    )


@role_required(Role.MANAGER)
@require_POST
def activate_executor(request: HttpRequest, appointment_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    appointment = get_object_or_404(access.executorships_to_activate(user), pk=appointment_id)
    form = ActivateExecutorForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why the executor is being activated."))
        return redirect("clients:executors")
    try:
        services.activate_executor(
            appointment, by=user, reason_code=form.cleaned_data["reason_code"], request=request
        )
    except services.ClientError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Executor activated. Their reading is audited."))
    return redirect("clients:executors")


@role_required(Role.COUNSELLOR)
@require_http_methods(["GET", "POST"])
def joint_case_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    clients = list(access.caseload(user).exclude(status="ended"))
    names = (
        access.identities_for_caseload(user, clients, request=request)
        if request.method == "GET"
        else {}
    )
    choices = [
        (c.reference, f"{c.reference} {names[c.pk].display_name}" if c.pk in names else c.reference)
        for c in clients
    ]
    form = JointCaseForm(request.POST if request.method == "POST" else None, choices=choices)
    if request.method == "POST" and form.is_valid():
        members = [c for c in clients if c.reference in form.cleaned_data["members"]]
        try:
            case = services.create_joint_case(
                by=user, kind=form.cleaned_data["kind"], members=members, request=request
            )
        except services.ClientError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Joint case %(ref)s created.") % {"ref": case.reference})
            return redirect(case)
    return render(request, "clients/jointcase_form.html", {"form": form})


def joint_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    case = access.joint_case_for(user, reference)
    return render(
        request, "clients/jointcase_detail.html", {"case": case, "members": case.members.all()}
    )


# -- the client's portal access ----------------------------------------------------------------


def _client_to_invite(user: User, reference: str) -> Client:
    """The client, if ``user`` manages their portal access (their counsellor or a service
    manager); anyone else gets the same 404 as for a client that does not exist."""
    client = access.client_for(user, reference, Purpose.IDENTITY)
    if not services.may_invite(user, client):
        raise Http404
    return client


@require_POST
def portal_invite(request: HttpRequest, reference: str) -> HttpResponse:
    """Make an invitation and show its link, once, in this response. The link is never put in
    a URL of ours, a message or a redirect: it exists only here and in the client's e-mail."""
    user: User = request.user  # type: ignore[assignment]
    client = _client_to_invite(user, reference)
    try:
        issued = services.invite_to_portal(
            client,
            by=user,
            build_link=lambda token: request.build_absolute_uri(
                reverse("portal:invitation", args=[token])
            ),
            request=request,
        )
    except services.ClientError as error:
        messages.error(request, str(error))
        return redirect(client)
    return render(
        request,
        "clients/portal_invitation_created.html",
        {"client": client, "invitation": issued.invitation, "link": issued.link},
    )


@require_POST
def portal_withdraw(request: HttpRequest, reference: str, invitation_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = _client_to_invite(user, reference)
    invitation = access.invitation_for(user, client, invitation_id)
    try:
        services.withdraw_invitation(invitation, by=user, request=request)
    except services.ClientError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The invitation was withdrawn: its link no longer works."))
    return redirect(client)


@require_http_methods(["GET", "POST"])
def portal_close(request: HttpRequest, reference: str) -> HttpResponse:
    """GET asks for confirmation; POST stops the client signing in."""
    user: User = request.user  # type: ignore[assignment]
    client = _client_to_invite(user, reference)
    account = access.portal_account_for(user, client)
    if account is None or not account.user.is_active:
        messages.info(request, _("This client has no open portal account."))
        return redirect(client)
    form = ClosePortalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.close_portal_account(client, by=user, request=request)
        except services.ClientError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Portal access is closed: the client can no longer sign in.")
            )
            return redirect(client)
    return render(request, "clients/portal_close.html", {"client": client, "form": form})
