"""The client's portal: their own records, consents, register and requests, and the public
page where an invited client creates their account.

Glue only: ``portal_access`` (the client's own case, or 404) → form → service → response.
Only client accounts reach the signed-in pages (RequireVerifiedUserMiddleware: staff get a
404, anonymous visitors go to sign in). What is shown is the client's own information, so it
appears on the page; it never goes into an address, a message header or an audit event.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import os
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from clients.access import own_case
from clients.models import Client
from clients.services import ClientError, InvitationInvalid, accept_invitation
from consent.models import Scope
from consent.services import (
    ConsentError,
    current_state,
    sign_prepared_consent,
    withdraw_own_consent,
)
from disclosures import portal_access
from disclosures.categories import category
from disclosures.portal_forms import AccessRequestForm, InvitationForm, SignConsentForm
from disclosures.subject_access import CATEGORY as SUBJECT_ACCESS
from disclosures.subject_access import AccessRequestError, request_access
from practice.accounts.ip import client_ip
from practice.accounts.models import User
from practice.audit.services import record

GET_POST = ["GET", "POST"]
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

# What each kind of consent means, said to the client.
SCOPE_MEANING = {
    Scope.RECORD_KEEPING: gettext_lazy(
        "Your counsellor keeps brief notes of your sessions. They are stored securely, apart "
        "from your name."
    ),
    Scope.SUPERVISION: gettext_lazy(
        "Your counsellor talks about their work with a clinical supervisor, which is part of "
        "safe practice. The supervisor knows you only by a reference number, not your name."
    ),
    Scope.DISCLOSURE: gettext_lazy(
        "We may share the information described with the person or organisation named, for "
        "the reason given, and nothing else."
    ),
    Scope.PUBLICATION: gettext_lazy(
        "Material from your counselling may be used in a publication, such as an article or a book."
    ),
    Scope.TRAINING: gettext_lazy(
        "Material from your counselling may be used to train counsellors."
    ),
    Scope.RESEARCH: gettext_lazy("Material from your counselling may be used in research."),
    Scope.IDENTIFIABLE_REFERENCE: gettext_lazy(
        "We may refer to you in a way that could identify you, for example in a letter or an "
        "e-mail. Without this consent, we refer to you only by a reference number."
    ),
}

# What withdrawing means, honest about what cannot be undone.
WITHDRAWAL_MEANING = {
    Scope.RECORD_KEEPING: gettext_lazy(
        "From now on, nothing new will be recorded on the strength of this consent. Notes the "
        "law and professional rules require us to keep are still kept, for as long as our "
        "privacy notice says, and you can still ask to see them. Your counsellor will talk "
        "with you about what this means for your counselling."
    ),
    Scope.SUPERVISION: gettext_lazy(
        "Your counsellor will stop discussing your work with their supervisor. What was "
        "discussed before cannot be undone. Your counsellor will talk with you about what this "
        "means, because supervision is part of safe practice."
    ),
    Scope.DISCLOSURE: gettext_lazy(
        "We will not share anything more with {recipient} on the strength of this consent, "
        "from now on. Anything waiting to be sent is stopped. Anything already shared cannot be "
        "recalled. In the rare cases our confidentiality agreement describes, the law can "
        "still require us to share information."
    ),
    Scope.PUBLICATION: gettext_lazy(
        "From now on, nothing from your counselling will be used in a publication. Work "
        "already published cannot be withdrawn."
    ),
    Scope.TRAINING: gettext_lazy(
        "From now on, nothing from your counselling will be used in training. Training that "
        "already took place cannot be undone."
    ),
    Scope.RESEARCH: gettext_lazy(
        "From now on, nothing from your counselling will be used in research. Results already "
        "published cannot be withdrawn; research still under way will leave it out where it "
        "can."
    ),
    Scope.IDENTIFIABLE_REFERENCE: gettext_lazy(
        "From now on, we will refer to you only in ways that do not identify you."
    ),
}

# Why information was shared, in plain words. Sealed categories are never shown at all.
REGISTER_WHY = {
    "client_request": gettext_lazy("You asked us to share it."),
    "court_order": gettext_lazy("A court ordered us to share it."),
    "road_traffic": gettext_lazy(
        "The police asked about a road-traffic accident, and the law requires us to answer."
    ),
    "child_safeguarding": gettext_lazy("To keep a child safe."),
    "adult_at_risk": gettext_lazy("To keep an adult safe from harm."),
    "serious_harm": gettext_lazy("To prevent serious harm to you or to someone else."),
    "complaint": gettext_lazy("To answer a complaint or a professional-conduct case."),
    "publication": gettext_lazy("For a publication."),
    "training": gettext_lazy("For training counsellors."),
    "research": gettext_lazy("For research."),
    "subject_access": gettext_lazy("You asked for a copy of your records."),
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _audit_read(
    request: HttpRequest, action: str, client: Client, target: Any = None, **data: Any
) -> None:
    """A client read something of their own: ids, counts and digests, never what it says."""
    record(
        action,
        by=_user(request),
        target=target,
        client_ref=client.reference,
        request=request,
        data=data,
    )


# -- home ----------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    client = own_case(_user(request))
    counsellor = client.counsellor
    open_requests = [sar for sar in portal_access.access_requests_for(client) if sar.is_open]
    return render(
        request,
        "disclosures/portal_home.html",
        {
            "counsellor_first_name": counsellor.first_name if counsellor else "",
            "waiting": portal_access.waiting_consents_for(client),
            "open_requests": [(sar, sar.due_on()) for sar in open_requests],
            "new_bundles": list(portal_access.new_bundles_for(client)),
        },
    )


# -- my records ----------------------------------------------------------------------------------


@require_GET
def records(request: HttpRequest) -> HttpResponse:
    client = own_case(_user(request))
    return render(
        request,
        "disclosures/portal_records.html",
        {"bundles": list(portal_access.bundles_for(client)), "portal_section": "records"},
    )


@require_GET
@never_cache
def record_view(request: HttpRequest, bundle_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    bundle = portal_access.bundle_for(user, bundle_id)
    document = portal_access.released_document(bundle)
    content = _read_snapshot(document.content_json)
    _audit_read(request, "portal.bundle.viewed", bundle.client, bundle, sha256=document.sha256)
    return render(
        request,
        "disclosures/portal_record.html",
        {"bundle": bundle, "content": content, "portal_section": "records"},
    )


def _read_snapshot(raw: str | None) -> dict[str, Any] | None:
    """The bundle as the client reads it in the browser: the same content as the PDF."""
    if not raw:
        return None
    data = json.loads(raw)
    generated = data.get("generated_at")
    try:
        data["generated_at"] = datetime.datetime.fromisoformat(generated) if generated else None
    except (TypeError, ValueError):
        data["generated_at"] = None
    data["items"] = [
        {
            "heading": item.get("heading", ""),
            "meta": [(pair[0], pair[1]) for pair in item.get("meta", []) if len(pair) == 2],
            "text": item.get("text", ""),
            "label": item.get("label", ""),
        }
        for item in data.get("items", [])
    ]
    data["sections"] = [
        (section[0], section[1]) for section in data.get("sections", []) if len(section) == 2
    ]
    return data


@require_GET
@never_cache
def record_pdf(request: HttpRequest, bundle_id: uuid.UUID) -> HttpResponse:
    """The PDF exactly as released (its SHA-256 is in the register)."""
    user = _user(request)
    bundle = portal_access.bundle_for(user, bundle_id)
    document = portal_access.released_document(bundle)
    content = bytes(document.pdf)
    _audit_read(request, "portal.bundle.downloaded", bundle.client, bundle, sha256=document.sha256)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{bundle.reference}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


# -- my consents ---------------------------------------------------------------------------------


@require_GET
def consents(request: HttpRequest) -> HttpResponse:
    client = own_case(_user(request))
    rows = [
        {
            "scope": state.scope,
            "meaning": SCOPE_MEANING.get(state.scope, ""),
            "current": state.current,
            "ended": state.withdrawn_or_ended,
        }
        for state in current_state(client)
    ]
    waiting = portal_access.waiting_consents_for(client)
    _audit_read(request, "portal.consents.viewed", client, scopes=len(rows), waiting=len(waiting))
    return render(
        request,
        "disclosures/portal_consents.html",
        {
            "rows": rows,
            "waiting": waiting,
            "portal_section": "consents",
        },
    )


@require_http_methods(GET_POST)
def consent_sign(request: HttpRequest, prepared_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    prepared = portal_access.waiting_consent_for(user, prepared_id)
    form = SignConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            sign_prepared_consent(
                prepared,
                by=user,
                typed_name=form.cleaned_data["typed_name"],
                agreed=form.cleaned_data["agreed"],
                signature_ip=client_ip(request) or "",
                request=request,
            )
        except ConsentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Thank you. Your consent is recorded."))
            return redirect("portal:consents")
    else:
        _audit_read(request, "portal.prepared_consent.viewed", prepared.client, prepared)
    return render(
        request,
        "disclosures/portal_consent_sign.html",
        {
            "prepared": prepared,
            "meaning": SCOPE_MEANING.get(Scope(prepared.scope), ""),
            "form": form,
            "portal_section": "consents",
        },
    )


@require_http_methods(GET_POST)
def consent_withdraw(request: HttpRequest, consent_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    consent = portal_access.current_consent_for(user, consent_id)
    error = ""
    if request.method == "POST":
        try:
            withdraw_own_consent(consent, by=user, request=request)
        except ConsentError as refused:
            error = str(refused)
        else:
            messages.success(request, _("Your consent is withdrawn. It took effect straight away."))
            return redirect("portal:consents")
    else:
        _audit_read(request, "portal.consent.viewed", consent.client, consent)
    scope = Scope(consent.scope)
    meaning = str(WITHDRAWAL_MEANING.get(scope, ""))
    if scope == Scope.DISCLOSURE:
        meaning = meaning.format(recipient=consent.recipient)
    return render(
        request,
        "disclosures/portal_consent_withdraw.html",
        {"consent": consent, "meaning": meaning, "error": error, "portal_section": "consents"},
    )


# -- who has seen my information -----------------------------------------------------------------


@require_GET
def register(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    client = own_case(user)
    entries = [
        {
            "entry": entry,
            # A copy of their own records went to the client themselves.
            "who": _("You") if entry.category_code == SUBJECT_ACCESS else entry.recipient,
            "why": REGISTER_WHY.get(entry.category_code) or category(entry.category_code).label,
        }
        for entry in portal_access.register_for(client)
    ]
    _audit_read(request, "portal.register.viewed", client, entries=len(entries))
    return render(
        request,
        "disclosures/portal_register.html",
        {"entries": entries, "portal_section": "register"},
    )


# -- my requests ---------------------------------------------------------------------------------


@require_http_methods(GET_POST)
def requests(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    client = own_case(user)
    form = AccessRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            sar = request_access(
                client,
                by=user,
                channel="portal",
                details=form.cleaned_data["details"],
                request=request,
            )
        except AccessRequestError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "We have your request. Its reference is %(reference)s. We will send your "
                    "records by %(due)s at the latest."
                )
                % {"reference": sar.reference, "due": f"{sar.due_on():%d %B %Y}".lstrip("0")},
            )
            return redirect("portal:requests")
    rows = []
    for sar in portal_access.access_requests_for(client):
        bundle = sar.bundle
        released = bundle is not None and bundle.status == "released"
        rows.append(
            {
                "sar": sar,
                "due_on": sar.due_on() if sar.is_open else None,
                "pause": sar.open_pause if sar.status == sar.Status.PAUSED else None,
                "bundle": bundle if released else None,
            }
        )
    has_open = any(row["sar"].is_open for row in rows)
    _audit_read(request, "portal.requests.viewed", client, requests=len(rows))
    return render(
        request,
        "disclosures/portal_requests.html",
        {"rows": rows, "form": form, "has_open": has_open, "portal_section": "requests"},
    )


# -- accepting an invitation (public) ------------------------------------------------------------

INVITATION_SESSION_KEY = "portal_invitation"


def _session_cipher() -> AESGCM:
    # The secret is kept in the session only between the link and the form, encrypted with a
    # key derived from SECRET_KEY: the sessions table alone cannot be used to accept it.
    key = salted_hmac("disclosures.portal.invitation-session", "key", algorithm="sha256")
    return AESGCM(key.digest())


def _remember_token(request: HttpRequest, token: str) -> None:
    nonce = os.urandom(12)
    sealed = _session_cipher().encrypt(nonce, token.encode(), b"portal-invitation")
    request.session[INVITATION_SESSION_KEY] = base64.urlsafe_b64encode(nonce + sealed).decode()


def _remembered_token(request: HttpRequest) -> str:
    stored = request.session.get(INVITATION_SESSION_KEY, "")
    if not stored:
        return ""
    try:
        raw = base64.urlsafe_b64decode(stored.encode())
        return _session_cipher().decrypt(raw[:12], raw[12:], b"portal-invitation").decode()
    except (InvalidTag, ValueError, binascii.Error, UnicodeDecodeError):
        return ""


def _forget_token(request: HttpRequest) -> None:
    request.session.pop(INVITATION_SESSION_KEY, None)


def _invitation_unusable(request: HttpRequest) -> HttpResponse:
    """One calm page, and one status, for unknown, used, withdrawn, expired and tampered."""
    _forget_token(request)
    return render(
        request,
        "disclosures/portal_invitation_invalid.html",
        status=404,
    )


def _already_signed_in(request: HttpRequest) -> HttpResponse:
    return render(request, "disclosures/portal_invitation_signed_in.html")


@login_not_required
@require_GET
@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the e-mail. Its secret moves into the session at once, so it does not
    stay in the address bar or the browser's history."""
    if request.user.is_authenticated:
        return _already_signed_in(request)
    _remember_token(request, token[: portal_access.MAX_TOKEN_LENGTH + 1])
    return redirect("portal:invitation_form")


@login_not_required
@require_http_methods(GET_POST)
@never_cache
def invitation_form(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return _already_signed_in(request)
    token = _remembered_token(request)
    if portal_access.open_invitation(token) is None:
        return _invitation_unusable(request)
    form = InvitationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accept_invitation(
                token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                request=request,
            )
        except InvitationInvalid:
            return _invitation_unusable(request)
        except ClientError as error:
            form.add_error(None, str(error))
        else:
            _forget_token(request)
            login(request, user, backend=MODEL_BACKEND)  # a new session key
            return redirect("accounts:enrol")
    return render(request, "disclosures/portal_invitation_form.html", {"form": form})
