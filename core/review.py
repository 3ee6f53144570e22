"""The review inbox (未识别问题): rider messages the assistant did not answer well, grouped.

Every message is masked before it is stored (`privacy.mask_text`, as the staff
queue shows tickets), so the inbox never holds a phone number or a name.

Grouping is deliberately simple, so an admin can see why two messages sit
together: both texts are normalised (`search_terms.clean`: NFKC, lower case,
letters and digits only); a message joins the group whose key is identical,
else the most similar of the recently seen groups if the Jaccard similarity of
their character bigrams reaches `SIMILARITY`, else it starts a group of its own.
驿站几点关门 and 驿站几点关门啊 share 5 of 6 bigrams (0.83) and join; 驿站几点开门
shares 3 of 7 (0.43) and does not.

A group is pending, resolved or ignored. An ignored group stays ignored when
new messages join it; a resolved one comes back to pending, since the fix did
not help the rider who just asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, FrozenSet, List, Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import privacy
from core.content import editing, revisions
from core.models import FaqDraft, FaqEntry, InboxGroup, InboxMessage, LabelledExample, RatedAnswer, Topic
from core.search_terms import clean

REASONS = ("fallback", "out_of_scope", "clarification", "thumbs_down", "repeat", "handoff")
PENDING, RESOLVED, IGNORED = "pending", "resolved", "ignored"
STATUSES = (PENDING, RESOLVED, IGNORED)
SIMILARITY = 0.5
# How many of the most recently seen groups a new message is compared with.
CANDIDATES = 500
KEY_CHARS = 200
TEXT_CHARS = 500
EXAMPLES_PER_GROUP = 5
LABELLED_PER_GROUP = 50


class ReviewError(Exception):
    """An admin's action the inbox refuses; `code` names the reason (worded in the console's template)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Unanswered:
    """A rider message to keep, and why; `text` is as the rider wrote it (masked on the way in)."""

    text: str
    reason: str
    channel: str
    intent: Optional[str] = None
    confidence: Optional[float] = None
    district: Optional[str] = None
    answer_id: Optional[int] = None


def group_key(text: str) -> str:
    """The normalised text messages are grouped by."""
    return clean(text)[:KEY_CHARS]


def bigrams(key: str) -> FrozenSet[str]:
    """Character bigrams of a key (the key itself when it has one character)."""
    return frozenset(key[i : i + 2] for i in range(len(key) - 1)) if len(key) > 1 else frozenset({key})


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of two keys' character bigrams (0..1)."""
    first, second = bigrams(a), bigrams(b)
    return len(first & second) / len(first | second) if first and second else 0.0


def record(session: Session, item: Unanswered, now: datetime) -> Optional[InboxMessage]:
    """Keep one rider message in its group; None for one with no words (a button payload, emoji)."""
    if item.reason not in REASONS:
        raise ValueError(f"unknown inbox reason {item.reason!r}")
    masked = privacy.mask_text(item.text.strip())[:TEXT_CHARS]
    key = group_key(masked)
    if not key or item.text.lstrip().startswith("/"):
        return None
    group = _group_for(session, key, masked, now)
    group.last_seen = now
    if group.status == RESOLVED:
        group.status = PENDING
    message = InboxMessage(
        group_id=group.id,
        text=masked,
        reason=item.reason,
        intent=item.intent,
        confidence=item.confidence,
        channel=item.channel,
        district=item.district,
        answer_id=item.answer_id,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def _group_for(session: Session, key: str, sample: str, now: datetime) -> InboxGroup:
    same = session.scalars(select(InboxGroup).where(InboxGroup.key == key)).first()
    if same is not None:
        return same
    recent = session.execute(
        select(InboxGroup.id, InboxGroup.key).order_by(InboxGroup.last_seen.desc()).limit(CANDIDATES)
    ).all()
    scored = [(similarity(key, other), group_id) for group_id, other in recent]
    best = max(scored, default=(0.0, None))
    if best[1] is not None and best[0] >= SIMILARITY:
        return session.get(InboxGroup, best[1])
    group = InboxGroup(key=key, sample=sample, status=PENDING, resolution="", first_seen=now, last_seen=now)
    try:
        with session.begin_nested():
            session.add(group)
    except IntegrityError:  # another process started the same group a moment ago
        return session.scalars(select(InboxGroup).where(InboxGroup.key == key)).one()
    return group


@dataclass(frozen=True)
class Filters:
    """What the inbox page narrows to; None means any."""

    status: Optional[str] = PENDING
    district: Optional[str] = None
    channel: Optional[str] = None
    reason: Optional[str] = None
    since: Optional[datetime] = None
    until: Optional[datetime] = None


@dataclass(frozen=True)
class Example:
    """A message of a group as the page lists it; for a 👎, the answer that was rated."""

    text: str
    reason: str
    channel: str
    district: Optional[str]
    intent: Optional[str]
    confidence: Optional[float]
    at: datetime
    rated_answer: Optional[str] = None
    rated_response: Optional[str] = None
    rated_faq_id: Optional[int] = None


@dataclass(frozen=True)
class GroupRow:
    """A group with the counts of its messages that match the filters."""

    id: int
    sample: str
    status: str
    resolution: str
    count: int
    first_seen: datetime
    last_seen: datetime
    examples: List[Example] = field(default_factory=list)


def groups(session: Session, filters: Filters, limit: int = 100) -> List[GroupRow]:
    """Groups with at least one message matching the filters, the most frequent first."""
    conditions = []
    if filters.district:
        conditions.append(InboxMessage.district == filters.district)
    if filters.channel:
        conditions.append(InboxMessage.channel == filters.channel)
    if filters.reason:
        conditions.append(InboxMessage.reason == filters.reason)
    if filters.since:
        conditions.append(InboxMessage.created_at >= filters.since)
    if filters.until:
        conditions.append(InboxMessage.created_at < filters.until)
    if filters.status:
        conditions.append(InboxGroup.status == filters.status)
    count = func.count(InboxMessage.id).label("count")
    first, last = func.min(InboxMessage.created_at), func.max(InboxMessage.created_at).label("last")
    rows = session.execute(
        select(InboxGroup, count, first, last)
        .join(InboxMessage, InboxMessage.group_id == InboxGroup.id)
        .where(*conditions)
        .group_by(InboxGroup.id)
        .order_by(count.desc(), last.desc(), InboxGroup.id)
        .limit(limit)
    ).all()
    examples = _examples(session, [group.id for group, *_ in rows], conditions)
    return [GroupRow(g.id, g.sample, g.status, g.resolution, n, f, la, examples.get(g.id, [])) for g, n, f, la in rows]


def _examples(session: Session, group_ids: Sequence[int], conditions: list) -> Dict[int, List[Example]]:
    """The newest matching messages of each group (a few, however large the group), with the answer a 👎 rated."""
    if not group_ids:
        return {}
    newest_first = (InboxMessage.created_at.desc(), InboxMessage.id.desc())
    place = func.row_number().over(partition_by=InboxMessage.group_id, order_by=newest_first).label("place")
    ranked = (
        select(InboxMessage.id, place)
        .join(InboxGroup, InboxMessage.group_id == InboxGroup.id)
        .where(InboxMessage.group_id.in_(group_ids), *conditions)
        .subquery()
    )
    rows = session.execute(
        select(InboxMessage, RatedAnswer)
        .join(ranked, ranked.c.id == InboxMessage.id)
        .outerjoin(RatedAnswer, InboxMessage.answer_id == RatedAnswer.id)
        .where(ranked.c.place <= EXAMPLES_PER_GROUP)
        .order_by(*newest_first)
    ).all()
    found: Dict[int, List[Example]] = {}
    for message, answer in rows:
        found.setdefault(message.group_id, []).append(_example(message, answer))
    return found


def _example(message: InboxMessage, answer: Optional[RatedAnswer]) -> Example:
    rated = (answer.answer, answer.response, answer.faq_id) if answer else (None, None, None)
    return Example(
        message.text,
        message.reason,
        message.channel,
        message.district,
        message.intent,
        message.confidence,
        message.created_at,
        *rated,
    )


def _group(session: Session, group_id: int) -> InboxGroup:
    group = session.get(InboxGroup, group_id)
    if group is None:
        raise ReviewError("no_such_group")
    return group


def set_status(session: Session, group_id: int, status: str, actor: str) -> InboxGroup:
    """Mark a group pending, resolved or ignored (an ignored one stays so as messages join it)."""
    if status not in STATUSES:
        raise ReviewError("unknown_status")
    group = _group(session, group_id)
    group.status, group.updated_by = status, actor
    return group


def _resolve(group: InboxGroup, resolution: str, actor: str) -> None:
    group.status, group.resolution, group.updated_by = RESOLVED, resolution, actor


def _texts(session: Session, group: InboxGroup, limit: int) -> List[str]:
    """The group's distinct wordings, its first one first."""
    texts = session.scalars(
        select(InboxMessage.text).where(InboxMessage.group_id == group.id).order_by(InboxMessage.id)
    ).all()
    return list(dict.fromkeys([group.sample, *texts]))[:limit]


def add_variant(session: Session, group_id: int, faq_id: int, actor: str, now: datetime) -> FaqEntry:
    """Add the group's wordings to an FAQ entry's variants: the retriever finds them at the next question.
    The change is a revision of the entry, as an edit in 内容编辑 is (its history shows it, one click undoes it)."""
    group = _group(session, group_id)
    entry = session.get(FaqEntry, faq_id)
    if entry is None:
        raise ReviewError("no_such_faq")
    known = {group_key(v) for v in [entry.question, *(entry.variants or "").splitlines()]}
    new = [text for text in _texts(session, group, LABELLED_PER_GROUP) if group_key(text) not in known]
    if new:  # `updated_at` moves on its own (wall time), which is how the FAQ retriever notices the edit
        variants = {"variants": "\n".join(filter(None, [(entry.variants or "").strip(), *new]))}
        editing.change(session, editing.KINDS[editing.FAQ], entry, variants, revisions.UPDATED, actor, now)
    _resolve(group, f"variant:{entry.id}", actor)
    return entry


def draft_faq(session: Session, group_id: int, actor: str, now: datetime) -> FaqDraft:
    """Start a new FAQ entry from a group; it answers no one until an admin publishes it."""
    group = _group(session, group_id)
    draft = FaqDraft(question=group.sample[:200], answer="", group_id=group.id, created_by=actor, created_at=now)
    session.add(draft)
    session.flush()
    _resolve(group, f"draft:{draft.id}", actor)
    return draft


def drafts(session: Session) -> List[FaqDraft]:
    """Drafts not yet published, the oldest first."""
    return list(session.scalars(select(FaqDraft).where(FaqDraft.published_at.is_(None)).order_by(FaqDraft.id)))


def publish_draft(
    session: Session, draft_id: int, question: str, answer: str, intent: Optional[str], actor: str, now: datetime
) -> FaqEntry:
    """Publish a draft as an FAQ entry, live for riders at once (a revision, as an addition in 内容编辑 is);
    a draft needs a question and an answer."""
    draft = session.get(FaqDraft, draft_id)
    if draft is None or draft.published_at is not None:
        raise ReviewError("no_such_draft")
    question, answer = question.strip()[:200], answer.strip()
    if not question or not answer:
        raise ReviewError("draft_incomplete")
    if intent and session.get(Topic, intent) is None:
        raise ReviewError("unknown_intent")
    values = {"question": question, "variants": "", "answer": answer, "tags": "", "intent": intent or None}
    entry, _ = editing.add(session, editing.KINDS[editing.FAQ], values, revisions.CREATED, actor, now)
    draft.question, draft.answer, draft.intent = question, answer, intent or None
    draft.published_faq_id, draft.published_at = entry.id, now
    return entry


def label_intent(session: Session, group_id: int, intent: str, actor: str, now: datetime) -> List[LabelledExample]:
    """Keep the group's wordings as examples of an intent for the next training; the live model is untouched."""
    group = _group(session, group_id)
    if session.get(Topic, intent) is None:
        raise ReviewError("unknown_intent")
    stored = set(session.scalars(select(LabelledExample.text).where(LabelledExample.intent == intent)).all())
    examples = [
        LabelledExample(text=text, intent=intent, group_id=group.id, created_by=actor, created_at=now)
        for text in _texts(session, group, LABELLED_PER_GROUP)
        if text not in stored
    ]
    session.add_all(examples)
    _resolve(group, f"intent:{intent}", actor)
    return examples


def labelled(session: Session) -> List[LabelledExample]:
    """Every example queued for training, by intent."""
    return list(session.scalars(select(LabelledExample).order_by(LabelledExample.intent, LabelledExample.id)))
