"""The mailbox's periodic jobs, registered with the site scheduler (sunshine.scheduler):
overdue letters move up a queue every few minutes; closed conversations past the retention
period are deleted every hour. Both are short, so they run in the scheduler process."""

from datetime import timedelta

from sunshine_mailbox import letters


def escalate_overdue():
    return letters.escalate_overdue()


def delete_expired_conversations():
    return letters.delete_expired()


def register_jobs():
    from sunshine import scheduler

    scheduler.register(
        "mailbox_escalate_overdue", every=timedelta(minutes=5), func=escalate_overdue
    )
    scheduler.register(
        "mailbox_delete_expired", every=timedelta(hours=1), func=delete_expired_conversations
    )
