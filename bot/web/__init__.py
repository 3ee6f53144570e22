"""The web app on :8000: the web chat page and the staff/admin console."""
