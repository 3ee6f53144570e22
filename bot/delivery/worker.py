"""The delivery loop: claim due outbox rows, send each through its channel, record it.

Web chat and REST replies go into the conversation's queue in the same
transaction that marks the row sent (exactly once). Other channels are sent
through their `Sender`; a failure is retried with backoff, and a process that
dies mid-send leaves the row to be claimed again when its lease runs out.
After a message is out, it is copied into the Rasa conversation.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any, Mapping

from bot.channels.outgoing import Sender, SendError
from bot.delivery.recorder import RecordingError, TrackerRecorder
from bot.delivery.render import Renderer
from core import outbox, tickets
from core.services import Services

logger = logging.getLogger(__name__)
POLL_S = 1.0
TIDY_EVERY_S = 3600
ORPHAN_KEEP = timedelta(days=1)


class DeliveryWorker:
    def __init__(
        self, services: Services, senders: Mapping[str, Sender], recorder: TrackerRecorder, renderer: Renderer
    ) -> None:
        self._services = services
        self._senders = senders
        self._recorder = recorder
        self._renderer = renderer

    async def _db(self, work: Any) -> Any:
        return await asyncio.to_thread(self._services.transaction, work)

    async def deliver_due(self) -> int:
        """Send what is due now; returns how many rows were handled."""
        clock = self._services.clock
        claimed = await self._db(lambda s: outbox.claim_due(s, clock.utc()))
        for row in claimed:
            try:
                await self._deliver(row)
            except Exception as error:  # one bad row must not hold up the rest of the batch
                logger.exception("outbox %s could not be delivered", row.id)
                await self._db(lambda s, row=row, error=error: outbox.mark_failed(s, row.id, repr(error), clock.utc()))
        return len(claimed)

    async def _deliver(self, row: outbox.Claimed) -> None:
        clock = self._services.clock
        try:
            message = self._renderer.render(row.payload)
        except KeyError as error:
            # A response the domain lacks: a newer model may bring it, so a few more attempts.
            reason = f"cannot render: {error}"
            await self._db(
                lambda s: outbox.mark_failed(s, row.id, reason, clock.utc(), attempts=outbox.RENDER_ATTEMPTS)
            )
            return
        if row.channel in outbox.QUEUED_CHANNELS:
            await self._db(lambda s: outbox.enqueue_reply(s, row, message, clock.utc()))
            return
        sender = self._senders.get(row.channel)
        if sender is None:
            missing = f"no sender is configured for channel '{row.channel}'"
            await self._db(lambda s: outbox.mark_failed(s, row.id, missing, clock.utc(), retryable=False))
            return
        try:
            await sender.send(row.recipient, message)
        except SendError as error:
            reason, retryable = str(error), error.retryable
            state = await self._db(lambda s: outbox.mark_failed(s, row.id, reason, clock.utc(), retryable))
            logger.warning("outbox %s to %s: %s (%s)", row.id, row.channel, reason, state)
            return
        await self._db(lambda s: outbox.mark_sent(s, row.id, clock.utc()))

    async def record_sent(self) -> int:
        """Copy sent messages into their Rasa conversations; Rasa being down only delays it."""
        clock = self._services.clock
        pending = await self._db(lambda s: outbox.unrecorded(s))
        done = 0
        for row in pending:
            try:
                await self._recorder.record(row.recipient, self._renderer.render(row.payload), row.payload)
            except (RecordingError, KeyError) as error:
                logger.info("recording outbox %s in Rasa postponed: %s", row.id, error)
                break
            await self._db(lambda s, row_id=row.id: outbox.mark_recorded(s, row_id, clock.utc()))
            done += 1
        return done

    async def tidy(self) -> int:
        """Photos of reports never finished, kept a day in case the rider came back: deleted."""
        clock = self._services.clock
        before = clock.utc() - ORPHAN_KEEP
        removed = await self._db(lambda s: tickets.delete_orphan_attachments(s, before))
        if removed:
            logger.info("deleted %d photos that never became part of a report", removed)
        return removed

    async def run_forever(self, poll_s: float = POLL_S) -> None:
        tidied = 0.0
        while True:
            try:
                if time.monotonic() - tidied > TIDY_EVERY_S:
                    tidied = time.monotonic()
                    await self.tidy()
                handled = await self.deliver_due()
                await self.record_sent()
            except Exception:  # a database hiccup must not end delivery; log and go on
                logger.exception("delivery round failed; retrying")
                handled = 0
            if not handled:
                await asyncio.sleep(poll_s)
