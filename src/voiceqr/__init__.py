"""voiceqr: type a text, pick a voice, get spoken audio and a QR code that plays it."""
