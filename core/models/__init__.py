"""All tables; importing this module registers them on `Base.metadata`."""

from core.models.base import Base, utcnow
from core.models.content import FaqEntry, LegalSection, LegalTopic, PassGuide, Topic
from core.models.places import District, Landmark, LegalAidPoint, Place
from core.models.programmes import Enrolment, Programme
from core.models.tickets import (
    Attachment,
    AuditEvent,
    CannedReply,
    InboundMessage,
    OutboxMessage,
    QueuedReply,
    StaffSession,
    StaffUser,
    Ticket,
    TicketCounter,
    TicketMessage,
)
from core.models.workers import WorkerProfile

__all__ = [
    "Attachment",
    "AuditEvent",
    "Base",
    "CannedReply",
    "InboundMessage",
    "OutboxMessage",
    "QueuedReply",
    "StaffSession",
    "StaffUser",
    "Ticket",
    "TicketCounter",
    "TicketMessage",
    "District",
    "Enrolment",
    "FaqEntry",
    "Landmark",
    "LegalAidPoint",
    "LegalSection",
    "LegalTopic",
    "PassGuide",
    "Place",
    "Programme",
    "Topic",
    "WorkerProfile",
    "utcnow",
]
