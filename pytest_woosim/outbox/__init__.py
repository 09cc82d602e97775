"""Durable delivery: the SQLite state (watermarks, outbox, dedupe keys), the notification
bytes, and the sender that posts them with Cloud Elements' retry schedule."""
