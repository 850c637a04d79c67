"""Anonymous support-chat backend: transport, sessions, queue and messaging."""

__version__ = "0.1.0"
