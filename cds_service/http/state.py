"""What the app holds between calls (the `app.state.cds` object)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..audit.metrics import Metrics
from ..audit.records import AuditStore
from ..audit.writer import GroupCommitWriter
from ..pipeline import Engine
from ..settings import Settings

if TYPE_CHECKING:
    from ..security.auth import ClientAuthenticator


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    store: AuditStore
    audit_writer: GroupCommitWriter
    metrics: Metrics
    authenticator: ClientAuthenticator | None
    policy_count: int
