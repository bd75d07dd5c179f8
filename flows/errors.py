"""The core's exceptions.

    MilestoneError                 base of every error the core raises on purpose
    ├── TemplateError              the template cannot be served (names what is missing)
    ├── InvalidAnswer              an answer the author must fix (message says how)
    └── DraftReadOnly              a filed or cancelled draft was asked to change

The edges translate these once: a reply in the thread, a line on stderr with exit 2.
"""


class MilestoneError(Exception):
    """Base of the core's deliberate errors; str() is a message fit for a person."""


class TemplateError(MilestoneError):
    """The issue template is unreadable or lacks a heading or line the flow writes under."""


class InvalidAnswer(MilestoneError):
    """An answer that cannot be accepted; the message says exactly what to fix."""


class DraftReadOnly(MilestoneError):
    """The draft is filed or cancelled and cannot change here."""
