"""Pure rules of voiceqr: entities, value objects, state machines and errors (stdlib only)."""
