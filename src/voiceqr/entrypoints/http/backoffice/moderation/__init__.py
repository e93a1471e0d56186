"""Content moderation: the queue, an item, decisions, claims and notes."""
