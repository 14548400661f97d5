"""The outbox's deliveries: what one can carry, and the states it goes through."""

KINDS = ("message-inbound", "message-status", "rtc", "sms-inbound", "sms-receipt")
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATES = (PENDING, DELIVERED, FAILED)
