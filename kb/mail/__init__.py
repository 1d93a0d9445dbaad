"""E-mail: what the portal tells whom (compose), the outbox and its delivery, and mail coming in."""
