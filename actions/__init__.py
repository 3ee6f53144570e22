"""rasa-sdk actions, one module per area; each is a thin adapter from slots to `core`.

rasa-sdk imports every module here at start-up, so importing must stay cheap:
the database and indexes are opened on first use (`actions.runtime.services`).
"""
