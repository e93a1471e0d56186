"""Redis-backed adapters for production: sign-in sessions, rate limits, one-time keys."""
