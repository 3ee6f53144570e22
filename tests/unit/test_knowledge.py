"""转为知识 (issue 13, point 6): a resolved ticket's staff answer becomes an FAQ draft linked to it."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import knowledge, review, tickets
from core.models import AuditEvent, FaqDraft, FaqEntry, StaffUser, Ticket
from core.services import Services
from tests.unit.test_ticket_assignment import NOW, act, member, open_request


def answer_and_resolve(services: Services, ticket: Ticket, staff: StaffUser, text: str) -> None:
    def work(session, found):
        member_ = session.get(StaffUser, staff.id)
        tickets.reply(session, found, member_, text, NOW, f"k-{found.id}")
        tickets.resolve(session, found, member_, NOW + timedelta(minutes=5))

    act(services, ticket, work)


def to_knowledge(services: Services, ticket: Ticket, staff: StaffUser) -> FaqDraft:
    return act(services, ticket, lambda s, t: knowledge.draft_from_ticket(s, t, s.get(StaffUser, staff.id), NOW))


def test_the_answer_that_resolved_a_ticket_becomes_a_masked_draft_once_and_is_audited(services: Services) -> None:
    staff = member(services, "k1", "潞州区")
    ticket = open_request(services, "k1-w", "潞州区")  # its description holds the rider's phone number
    answer_and_resolve(services, ticket, staff, "押金退还请带身份证到站点，或拨打 13912344321 找站长")
    draft = to_knowledge(services, ticket, staff)
    assert draft.ticket_id == ticket.id and draft.published_at is None
    assert draft.question == "站点欠我工资 139****4321"
    assert draft.answer == "押金退还请带身份证到站点，或拨打 139****4321 找站长"
    again = to_knowledge(services, ticket, staff)
    assert again.id == draft.id
    drafted = select(AuditEvent.detail).where(AuditEvent.ticket_id == ticket.id, AuditEvent.action == knowledge.DRAFTED)
    assert services.read(lambda s: list(s.scalars(drafted))) == [str(draft.id)]
    # An admin publishes it like any draft: a live FAQ entry.
    entry = services.transaction(
        lambda s: review.publish_draft(s, draft.id, "押金怎么退", "带身份证到站点办理。", None, "staff:admin", NOW)
    )
    assert services.read(lambda s: s.get(FaqEntry, entry.id).answer) == "带身份证到站点办理。"


@pytest.mark.parametrize(
    "resolved, answered, code", [(False, True, "knowledge_needs_resolved"), (True, False, "knowledge_needs_answer")]
)
def test_only_a_settled_ticket_with_a_staff_answer_becomes_knowledge(
    services: Services, resolved, answered, code
) -> None:
    staff = member(services, "k2", "潞州区")
    ticket = open_request(services, f"k2-{code}", "潞州区")  # a rider of its own: PostgreSQL keeps the last case's

    def prepare(session, found):
        member_ = session.get(StaffUser, staff.id)
        if answered:
            tickets.reply(session, found, member_, "已处理", NOW, f"k-{found.id}")
        if resolved:
            tickets.resolve(session, found, member_, NOW)

    act(services, ticket, prepare)
    with pytest.raises(tickets.TicketError) as refused:
        to_knowledge(services, ticket, staff)
    assert refused.value.code == code
    assert services.read(lambda s: knowledge.draft_of(s, s.get(Ticket, ticket.id))) is None


def test_another_districts_staff_cannot_turn_a_ticket_into_knowledge(services: Services) -> None:
    staff, outsider = member(services, "k3", "潞州区"), member(services, "k3-o", "屯留区")
    ticket = open_request(services, "k3-w", "潞州区")
    answer_and_resolve(services, ticket, staff, "已处理")
    with pytest.raises(tickets.TicketError) as refused:
        to_knowledge(services, ticket, outsider)
    assert refused.value.code == "outside_district"
