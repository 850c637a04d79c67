"""Test support: a real server process and pilots that talk to it over real sockets."""
