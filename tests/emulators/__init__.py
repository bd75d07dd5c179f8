"""Emulators of the services milestone-bot talks to: real HTTP servers on 127.0.0.1 for tests."""
