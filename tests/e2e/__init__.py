"""End-to-end tests: the real `milestone-bot serve` over HTTP against the emulators."""
