"""The latency and cost benchmark: `python -m bench` prints one table (see bench/README.md).

It starts the real `milestone-bot serve` (and, for comparison, a bare Bolt app on the same
gunicorn + Flask adapter stack) against the Slack and GitHub emulators from tests/, drives it
from this process over 127.0.0.1, and reports each figure as the median of several runs.
Nothing here is imported by the bot or by the test suite.
"""
