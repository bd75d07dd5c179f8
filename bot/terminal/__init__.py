"""The terminal as a surface: `milestone-bot chat` and the commands that print drafts and gates.

It owns the terminal conversation (chat.py: one message, one unit of work, like Slack), how
the bot's words look here (screen.py: rich, plain when output is not a terminal or NO_COLOR
is set), how answers are typed (keyboard.py: prompt_toolkit on a terminal, lines when
piped), where `file` puts the issue when GitHub is not configured (body_file.py), and the
printing commands (commands.py: drafts, show, replay, gates, backup). It sits beside
bot.listeners: it may import the workflows (bot.filing), the platforms (bot.github),
bot.storage, bot.settings, bot.errors and the pure core (flows), never bot.app or
bot.runtime, which import it. Argument parsing stays in bot.runtime.cli.
"""
