"""心灵信箱: anonymous letters with reply codes, crisis routing, counsellors' queue,
encrypted at rest.

Imported as `sunshine_mailbox` (the folder is mailbox/; `mailbox` is a standard-library module).
It reads `sunshine` (directory, roles, scheduler, settings) and `courses`; nothing reads it but
templates (by URL name) and the project's URLs.
"""
