"""``{% retention_panel client %}``: legal holds, erasure and retention on the client's page.

Everyone who reaches the page sees whether a legal hold stands (and that it stops every
destruction); placing and lifting holds, deciding erasure and the retention date are for
service managers; the client's counsellor may record an erasure request.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from clients import retention, retention_access
from clients.models import Client, ErasureRequest
from clients.services import may_record_erasure

register = template.Library()


@register.inclusion_tag("clients/legalhold_panel.html", takes_context=True)
def retention_panel(context: template.Context, client: Client) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    manager = retention_access.is_manager(user)
    holds = retention.holds_blocking(client)
    own = [hold for hold in holds if hold.client_id == client.pk]
    case = retention.retention_of(client) if manager else None
    return {
        "show": True,
        "client": client,
        "manager": manager,
        "holds": own,
        "partner_holds": [hold for hold in holds if hold.client_id != client.pk],
        "waiting": retention.waiting_destruction_for(client),
        "may_record_erasure": may_record_erasure(user, client),
        "open_erasure": ErasureRequest.objects.filter(
            client=client, status=ErasureRequest.Status.OPEN
        ).first()
        if manager
        else None,
        "case": case,
        "case_due": case is not None and case.is_due(timezone.localdate()),
    }
