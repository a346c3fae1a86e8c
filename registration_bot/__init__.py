"""registration-bot: sign people up for an event when they simply send an email."""

__version__ = "0.1.0"
