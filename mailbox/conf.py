"""The mailbox's settings, each with its default; override any in Django settings (the
environment sets them through sunshine.environment)."""

from sunshine.app_settings import AppSettings

DEFAULTS = {
    # The promised reply time, and the one for a letter marked 紧急.
    "MAILBOX_REPLY_HOURS": 24,
    "MAILBOX_URGENT_REPLY_HOURS": 1,
    # After an overdue letter moves up a queue, the next queue has this long (紧急: the above).
    "MAILBOX_ESCALATED_REPLY_HOURS": 8,
    # A closed conversation is deleted this many days after it was closed.
    "MAILBOX_RETENTION_DAYS": 180,
    "MAILBOX_MAX_LETTER_CHARS": 3000,
    # Reading by reply code: this many failed codes per client network in the window, then 429.
    # A school's pupils share one address, so the limit is not tight: with 80-bit codes even a
    # thousand guesses a day from every network in the city find nothing.
    "MAILBOX_CODE_FAILURES": 30,
    "MAILBOX_CODE_WINDOW_SECONDS": 15 * 60,
    # Sending letters: per client network per hour (a flood must not bury real letters; a
    # school's computer room is one network).
    "MAILBOX_LETTERS_PER_HOUR": 120,
    # Comma-separated Fernet keys (from the environment, never the database); empty: the demo key.
    "MAILBOX_ENCRYPTION_KEYS": "",
}


get = AppSettings("mailbox", DEFAULTS).get
