"""Pages for contracting, consent, consents prepared for the client to sign in the portal, and
the practice's documents: access → form → service → redirect.

Clients and consent records are fetched through consent.access (404 outside one's scope, the
same as a missing one); every change goes through consent.services (atomic, audited). What a
consent names (recipient, purpose, material) and its evidence never go into a URL, a message,
a header or an audit event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from clients.access import Purpose, access_route, can, portal_account_for
from clients.models import Client
from consent import access, services
from consent.forms import (
    EXPLAINED_POINTS,
    ContractingForm,
    DocumentForm,
    GrantForm,
    PrepareForm,
    WithdrawForm,
)
from consent.models import ConsentEvent, DocumentVersion, Scope
from consent.services import ConsentError
from practice.accounts.decorators import role_required
from practice.accounts.models import Role, User
from practice.audit.services import record

GET_POST = ["GET", "POST"]

# What each scope means, in words a client could read over the counsellor's shoulder.
SCOPE_MEANING = {
    Scope.RECORD_KEEPING: gettext_lazy(
        "Your counsellor keeps brief notes of each session. They are stored securely, apart from "
        "your name, and kept for as long as the privacy notice says."
    ),
    Scope.SUPERVISION: gettext_lazy(
        "Your counsellor talks about their work with a supervisor, which is part of safe "
        "practice. The supervisor knows you only by a reference number, not your name."
    ),
    Scope.DISCLOSURE: gettext_lazy(
        "The information described below may be shared with the person or organisation named, "
        "for the reason given, and nothing else. Each sharing needs its own consent."
    ),
    Scope.PUBLICATION: gettext_lazy(
        "Material from your counselling may be used in a publication, such as an article or a "
        "book. Nothing is used without this consent."
    ),
    Scope.TRAINING: gettext_lazy(
        "Material from your counselling may be used to train counsellors. Nothing is used "
        "without this consent."
    ),
    Scope.RESEARCH: gettext_lazy(
        "Material from your counselling may be used in research. Nothing is used without this "
        "consent."
    ),
    Scope.IDENTIFIABLE_REFERENCE: gettext_lazy(
        "The practice may refer to you in a way that could identify you, for example in a "
        "letter or an e-mail. Without this consent, you are referred to only by a reference."
    ),
}

# What withdrawing means for each scope: plain, and honest about what cannot be undone.
WITHDRAWAL_MEANING = {
    Scope.RECORD_KEEPING: gettext_lazy(
        "From now on, nothing new is recorded on the strength of this consent. Notes already "
        "written are kept for as long as the law and professional rules require, as the privacy "
        "notice explains, and you can still ask to see them. Your counsellor will talk with you "
        "about what this means for your counselling."
    ),
    Scope.SUPERVISION: gettext_lazy(
        "From now on, your counsellor will not discuss your counselling in supervision. What "
        "was discussed before cannot be undone. Your counsellor will talk with you about what "
        "this means, because supervision is part of safe practice."
    ),
    Scope.DISCLOSURE: gettext_lazy(
        "From now on, nothing more is shared with this recipient on the strength of this "
        "consent. Anything waiting to be sent is stopped. Anything already sent cannot be "
        "called back. In the rare cases the confidentiality agreement describes, the law can "
        "still require information to be shared."
    ),
    Scope.PUBLICATION: gettext_lazy(
        "From now on, nothing from your counselling is used in a publication. Work already "
        "published cannot be withdrawn; work not yet published will leave it out."
    ),
    Scope.TRAINING: gettext_lazy(
        "From now on, nothing from your counselling is used in training. Training that already "
        "took place cannot be undone."
    ),
    Scope.RESEARCH: gettext_lazy(
        "From now on, nothing from your counselling is used in research. Results already "
        "published cannot be withdrawn; research still under way will leave it out where it can."
    ),
    Scope.IDENTIFIABLE_REFERENCE: gettext_lazy(
        "From now on, the practice refers to you only in ways that do not identify you."
    ),
}

# The evidence file is sent under a name of our own: the uploaded file's name may carry the
# client's name, and response headers end up in proxies' logs.
_EXTENSION = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _client_context(client: Client) -> dict[str, Any]:
    return {"client": client, "consent_url": reverse("consent:client", args=[client.reference])}


@dataclass(frozen=True)
class GlanceItem:
    grant: ConsentEvent
    status: str  # "given", "withdrawn" or "ended"


@dataclass(frozen=True)
class GlanceRow:
    scope: Scope
    status: str  # "given", "withdrawn", "ended" or "none"
    items: list[GlanceItem]


def _ended_status(grant: ConsentEvent) -> str:
    """Why a consent no longer counts: withdrawn, or past its end date."""
    return "withdrawn" if grant.withdrawal_event() is not None else "ended"


def _at_a_glance(states: list[services.ScopeState]) -> list[GlanceRow]:
    """One row per scope. Disclosures list every recipient (each is its own consent); other
    scopes show the consent in force, or the last one that ended."""
    rows = []
    for state in states:
        current = sorted(state.current, key=lambda g: g.recorded_at, reverse=True)
        ended = sorted(state.withdrawn_or_ended, key=lambda g: g.recorded_at, reverse=True)
        items = [GlanceItem(g, "given") for g in current]
        if state.scope == Scope.DISCLOSURE:
            items += [GlanceItem(g, _ended_status(g)) for g in ended]
        elif not current and ended:
            items.append(GlanceItem(ended[0], _ended_status(ended[0])))
        if current:
            status = "given"
        elif items:
            status = items[0].status
        else:
            status = "none"
        rows.append(GlanceRow(state.scope, status, items))
    return rows


def _portal_state(user: User, client: Client) -> str:
    """Whether the client can sign in to the portal: "active", "closed" or "none". For those
    who record consent (they may see the client's identity, and so their account)."""
    account = portal_account_for(user, client)
    if account is None:
        return "none"
    return "active" if account.user.is_active else "closed"


def _scope_or_404(value: str) -> Scope:
    if value not in Scope.values:
        raise Http404
    return Scope(value)


# -- a client's consent at a glance ----------------------------------------------------------


@role_required(Role.COUNSELLOR)
@require_http_methods(["GET"])
def client_consent(request: HttpRequest, reference: str) -> HttpResponse:
    """Contracting, every scope's current state, then the full history, newest first."""
    user = _user(request)
    client = access.client_for_reading(user, reference)
    route = access_route(user, client)
    record(
        "consent.viewed",
        by=user,
        target=client,
        client_ref=client.reference,
        request=request,
        data={"via": route, "view": "client"},
    )
    history = list(
        ConsentEvent.objects.filter(client=client)
        .select_related("recorded_by", "witness", "withdraws", "withdrawal")
        .order_by("-recorded_at")
    )
    may_write = can(user, client, Purpose.NOTES_WRITE)
    return render(
        request,
        "consent/client_consent.html",
        {
            **_client_context(client),
            "contracting": services.contracting_for(client),
            "contracting_count": client.contracting.count(),
            "rows": _at_a_glance(services.current_state(client)),
            "history": history,
            "may_write": may_write,
            "read_only_route": "" if route == "allocated" else route,
            "prepared": services.waiting_for_signature(client),
            "portal_state": _portal_state(user, client) if may_write else "",
        },
    )


# -- contracting -----------------------------------------------------------------------------


@role_required(Role.COUNSELLOR)
@require_http_methods(GET_POST)
def contracting(request: HttpRequest, reference: str) -> HttpResponse:
    """Record that confidentiality and its limits were explained at the first session."""
    user = _user(request)
    client = access.client_for_recording(user, reference)
    form = ContractingForm(request.POST if request.method == "POST" else None, client=client)
    if form.is_bound and form.is_valid():
        try:
            services.record_contracting(
                client,
                by=user,
                contracted_on=form.cleaned_data["contracted_on"],
                agreement=form.cleaned_data["agreement"],
                privacy_notice=form.cleaned_data["privacy_notice"],
                delivered=form.cleaned_data["delivered"],
                explained=form.explained(),
                request=request,
            )
        except ConsentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "Contracting was recorded, and notes can now be written. If the client "
                    "agreed to their records being kept, record that consent next."
                ),
            )
            return redirect("consent:client", client.reference)
    return render(
        request,
        "consent/contracting_form.html",
        {
            **_client_context(client),
            "form": form,
            "previous": services.contracting_for(client),
            "current_agreement": DocumentVersion.current(DocumentVersion.Kind.AGREEMENT),
            "current_notice": DocumentVersion.current(DocumentVersion.Kind.PRIVACY_NOTICE),
            "explained_fields": [form[point] for point in EXPLAINED_POINTS],
        },
    )


# -- giving and withdrawing consent ----------------------------------------------------------


@role_required(Role.COUNSELLOR)
@require_http_methods(GET_POST)
def grant(request: HttpRequest, reference: str) -> HttpResponse:
    """Record one consent for one scope. Without a scope, ask which."""
    user = _user(request)
    client = access.client_for_recording(user, reference)
    raw_scope = request.GET.get("scope", "")
    if not raw_scope:
        return render(
            request,
            "consent/consentevent_choose_scope.html",
            {**_client_context(client), "scopes": [(s, SCOPE_MEANING[s]) for s in Scope]},
        )
    scope = _scope_or_404(raw_scope)
    form = GrantForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        client=client,
        scope=scope,
        by=user,
    )
    if form.is_bound and form.is_valid():
        try:
            event = services.grant(client, by=user, request=request, **form.grant_kwargs())
        except ConsentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Consent for %(scope)s was recorded.") % {"scope": scope.label.lower()},
            )
            return redirect("consent:detail", event.pk)
    return render(
        request,
        "consent/consentevent_grant.html",
        {
            **_client_context(client),
            "form": form,
            "scope": scope,
            "meaning": SCOPE_MEANING[scope],
            "signed_form": ConsentEvent.Evidence.SIGNED_FORM,
            "verbal": ConsentEvent.Evidence.VERBAL_WITNESSED,
        },
    )


# -- consents the client signs in the portal ---------------------------------------------------


@role_required(Role.COUNSELLOR)
@require_http_methods(GET_POST)
def prepare(request: HttpRequest, reference: str) -> HttpResponse:
    """Write out a consent for the client to read and sign in the portal."""
    user = _user(request)
    client = access.client_for_recording(user, reference)
    portal_state = _portal_state(user, client)
    initial = {}
    if request.GET.get("scope") in Scope.values:
        initial["scope"] = request.GET["scope"]
    form = PrepareForm(
        request.POST if request.method == "POST" else None, client=client, initial=initial
    )
    if form.is_bound and form.is_valid():
        if portal_state != "active":
            # The service checks for an account; a closed one cannot sign either.
            form.add_error(None, _("The client has no open portal account to sign it in."))
        else:
            try:
                prepared = services.prepare_consent(
                    client, by=user, request=request, **form.prepare_kwargs()
                )
            except ConsentError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "The consent for %(scope)s is waiting for the client to sign it in "
                        "the portal. It counts only once they have signed."
                    )
                    % {"scope": prepared.get_scope_display().lower()},
                )
                return redirect("consent:client", client.reference)
    return render(
        request,
        "consent/preparedconsent_form.html",
        {
            **_client_context(client),
            "form": form,
            "portal_state": portal_state,
            "meanings": [(s, SCOPE_MEANING[s]) for s in Scope],
        },
    )


@role_required(Role.COUNSELLOR)
@require_POST
def prepared_cancel(request: HttpRequest, reference: str, prepared_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    client = access.client_for_recording(user, reference)
    prepared = get_object_or_404(client.prepared_consents.all(), pk=prepared_id)
    try:
        services.cancel_prepared_consent(prepared, by=user, request=request)
    except ConsentError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The prepared consent was cancelled: it can no longer be signed.")
        )
    return redirect("consent:client", client.reference)


@role_required(Role.COUNSELLOR)
@require_http_methods(["GET"])
def detail(request: HttpRequest, consent_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    event = access.consent_for(user, consent_id)
    client = event.client
    route = access_route(user, client)
    record(
        "consent.viewed",
        by=user,
        target=event,
        client_ref=client.reference,
        request=request,
        data={"via": route, "view": "detail"},
    )
    grant_event = event if event.is_grant else event.withdraws
    assert grant_event is not None  # a withdrawal always names its grant (a check constraint)
    withdrawal = grant_event.withdrawal_event()
    may_write = can(user, client, Purpose.NOTES_WRITE)
    return render(
        request,
        "consent/consentevent_detail.html",
        {
            **_client_context(client),
            "event": event,
            "grant": grant_event,
            "withdrawal": withdrawal,
            "is_current": grant_event.is_current(),
            "may_withdraw": may_write and withdrawal is None,
            "read_only_route": "" if route == "allocated" else route,
        },
    )


@role_required(Role.COUNSELLOR)
@require_http_methods(["GET"])
@never_cache
def evidence(request: HttpRequest, consent_id: uuid.UUID) -> HttpResponse:
    """The uploaded signed form, decrypted for this response only, as a download."""
    user = _user(request)
    event = access.consent_for(user, consent_id)
    if not event.evidence_file:
        raise Http404
    content = bytes(event.evidence_file)
    content_type = event.evidence_content_type or "application/octet-stream"
    record(
        "consent.evidence.downloaded",
        by=user,
        target=event,
        client_ref=event.client.reference,
        request=request,
        data={"via": access_route(user, event.client), "bytes": len(content)},
    )
    extension = _EXTENSION.get(content_type, "bin")
    filename = f"consent-{event.client.reference}-{event.recorded_at:%Y%m%d}.{extension}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


@role_required(Role.COUNSELLOR)
@require_http_methods(GET_POST)
def withdraw(request: HttpRequest, consent_id: uuid.UUID) -> HttpResponse:
    """GET explains what withdrawing means and asks how the client withdrew; POST withdraws."""
    user = _user(request)
    event = access.consent_for(user, consent_id, write=True)
    if not event.is_grant or event.withdrawal_event() is not None:
        messages.info(request, _("This consent has already been withdrawn."))
        return redirect("consent:detail", event.withdraws_id or event.pk)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.withdraw(
                event, by=user, evidence=form.cleaned_data["evidence"], request=request
            )
        except ConsentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The consent for %(scope)s was withdrawn. This takes effect now.")
                % {"scope": event.get_scope_display().lower()},
            )
            return redirect("consent:client", event.client.reference)
    return render(
        request,
        "consent/consentevent_withdraw.html",
        {
            **_client_context(event.client),
            "event": event,
            "form": form,
            "meaning": WITHDRAWAL_MEANING[Scope(event.scope)],
        },
    )


# -- the practice's documents ----------------------------------------------------------------


def _documents_newest_first() -> Any:
    # Drafts first, then the most recently published: the same order on SQLite and PostgreSQL.
    return DocumentVersion.objects.select_related("published_by").order_by(
        F("published_at").desc(nulls_first=True), "-created_at"
    )


@role_required(Role.MANAGER)
@require_http_methods(["GET"])
def documents(request: HttpRequest) -> HttpResponse:
    """Every version of the agreement and the privacy notice, per kind, with the current one
    marked."""
    versions = list(_documents_newest_first())
    kinds = []
    for kind in DocumentVersion.Kind:
        current = DocumentVersion.current(kind)
        kinds.append(
            {
                "kind": kind,
                "versions": [v for v in versions if v.kind == kind],
                "current_id": current.pk if current else None,
            }
        )
    return render(request, "consent/documentversion_list.html", {"kinds": kinds})


@role_required(Role.MANAGER)
@require_http_methods(GET_POST)
def document_new(request: HttpRequest) -> HttpResponse:
    """Write a new draft version, optionally starting from an existing one's text."""
    user = _user(request)
    initial: dict[str, Any] = {}
    source_id = request.GET.get("from", "")
    if source_id.isdigit():
        source = DocumentVersion.objects.filter(pk=int(source_id)).first()
        if source is not None:
            initial = {"kind": source.kind, "title": source.title, "text": source.text}
    elif request.GET.get("kind") in DocumentVersion.Kind.values:
        initial = {"kind": request.GET["kind"]}
    form = DocumentForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            document = services.draft_document(by=user, request=request, **form.cleaned_data)
        except ConsentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The draft was saved. Check it, then publish it."))
            return redirect("consent:document", document.pk)
    return render(request, "consent/documentversion_form.html", {"form": form})


@role_required(Role.MANAGER, Role.COUNSELLOR)
@require_http_methods(["GET"])
def document(request: HttpRequest, document_id: int) -> HttpResponse:
    """One version's text. Counsellors read published versions (to give them to clients);
    drafts are for service managers only."""
    user = _user(request)
    is_manager = user.has_role(Role.MANAGER)
    versions = DocumentVersion.objects.select_related("published_by")
    if not is_manager:
        versions = versions.filter(published_at__isnull=False)
    version = get_object_or_404(versions, pk=document_id)
    current = DocumentVersion.current(version.kind)
    return render(
        request,
        "consent/documentversion_detail.html",
        {
            "document": version,
            "is_current": current is not None and current.pk == version.pk,
            "is_manager": is_manager,
        },
    )


@role_required(Role.MANAGER)
@require_POST
def document_publish(request: HttpRequest, document_id: int) -> HttpResponse:
    document = get_object_or_404(DocumentVersion, pk=document_id)
    try:
        services.publish_document(document, by=_user(request), request=request)
    except ConsentError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(document)s is published. Counsellors now give it to new clients.")
            % {"document": str(document)},
        )
    return redirect("consent:document", document.pk)
