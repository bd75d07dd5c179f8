"""Adversarial end-to-end tests: the real `milestone-bot serve` under hostile conditions."""
