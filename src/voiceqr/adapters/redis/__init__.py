"""Redis-backed adapters for production: sign-in sessions and rate limits."""
