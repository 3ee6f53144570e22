"""Delivery of staff replies and notices from the outbox to each worker's channel."""
