"""Moderation automation for staff: the text filter's terms, the flagging rules and
the generations the filter held for review."""
