"""Secret pointers, not secrets: where the credentials of a runbook's hosts and services are
kept ("password manager, vault Home, item DSM"). The runbook page shows them
(templates/runbooks/partials/pointers.html); the handover and the binder reuse `of_runbook`."""

from __future__ import annotations

from dataclasses import dataclass

from apps.runbooks.models import Runbook


@dataclass
class Pointer:
    what: str  # the host's name or the service's label
    where: str  # the pointer itself, never a secret (status.models.validate_pointer)


def of_runbook(runbook: Runbook) -> list[Pointer]:
    hosts = runbook.hosts.exclude(credentials_pointer="").order_by("name")
    found = [Pointer(host.name, host.credentials_pointer) for host in hosts]
    services = runbook.services.exclude(credentials_pointer="").order_by("label")
    found += [Pointer(str(service), service.credentials_pointer) for service in services]
    return found
