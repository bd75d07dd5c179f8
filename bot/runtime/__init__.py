"""The process edge: the command line, `serve` and `socket`, the web server, metrics.

Owns argument parsing, the gunicorn + Flask server (`/slack/events`, `/github/webhook`,
`/healthz`, `/metrics`), Socket Mode, the loops beside Slack (loops.py: the reminder sweep,
the Home refresh) and Prometheus. Turns every
domain error into one line for the operator. May import anything in `bot`; nothing imports it.
"""
