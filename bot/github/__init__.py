"""GitHub: everything that speaks to GitHub.

Owns the client (token or App auth, no POST retries, error and rate-limit classification),
reading and editing issues, the webhook endpoint (signatures, deliveries) and the file touch
plan check. Imports `flows`, `bot.storage`, `bot.errors`, `bot.log`, `bot.settings` and
PyGithub; never Slack (`bot.slack`, slack_sdk, slack_bolt).
"""
