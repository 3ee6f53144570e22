"""The staff and admin console: queue, tickets, metrics, content and accounts."""
