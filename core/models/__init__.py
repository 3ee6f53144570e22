"""All tables; importing this module registers them on `Base.metadata`."""

from core.models.base import Base, utcnow
from core.models.content import FaqEntry, LegalSection, LegalTopic, PassGuide, Topic
from core.models.places import District, Landmark, LegalAidPoint, Place
from core.models.programmes import Enrolment, Programme
from core.models.review import FaqDraft, InboxGroup, InboxMessage, LabelledExample, RatedAnswer
from core.models.revisions import ContentRevision
from core.models.tickets import (
    Attachment,
    AuditEvent,
    CannedReply,
    InboundMessage,
    LoginFailures,
    OutboxMessage,
    QueuedReply,
    StaffSession,
    StaffUser,
    Ticket,
    TicketCounter,
    TicketMessage,
    TicketPhone,
)
from core.models.workers import WorkerProfile

__all__ = [
    "Attachment",
    "AuditEvent",
    "Base",
    "CannedReply",
    "ContentRevision",
    "District",
    "Enrolment",
    "FaqDraft",
    "FaqEntry",
    "InboundMessage",
    "InboxGroup",
    "InboxMessage",
    "LabelledExample",
    "Landmark",
    "LegalAidPoint",
    "LegalSection",
    "LegalTopic",
    "LoginFailures",
    "OutboxMessage",
    "PassGuide",
    "Place",
    "Programme",
    "QueuedReply",
    "RatedAnswer",
    "StaffSession",
    "StaffUser",
    "Ticket",
    "TicketCounter",
    "TicketMessage",
    "TicketPhone",
    "Topic",
    "WorkerProfile",
    "utcnow",
]
