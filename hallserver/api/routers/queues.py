"""Live queues (public: numbers only, no personal data)."""

from __future__ import annotations

from fastapi import APIRouter

from hallserver.api.deps import ServicesDep
from hallserver.api.problems import problems
from hallserver.services.views import QueueEntry, QueueInfo

router = APIRouter(prefix="/api/queues", tags=["queues"])


@router.get("")
def queues(services: ServicesDep) -> list[QueueInfo]:
    """Every category: waiting, longest wait, predicted wait, open windows, warnings."""
    return services.queues.overview()


@router.get("/{category}", responses=problems(404))
def queue(category: str, services: ServicesDep) -> list[QueueEntry]:
    """A category's waiting tickets in call order."""
    return services.queues.entries(category)
