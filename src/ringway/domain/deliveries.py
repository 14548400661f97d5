"""The outbox's deliveries: what one can carry, and the states it goes through."""

KINDS = ("message-inbound", "message-status", "rtc")
STATES = ("pending", "delivered", "failed")
