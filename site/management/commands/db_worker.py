"""`sunshine db_worker`: django-tasks-db's worker, which waits for a database that went away.

The original exits on the first error of a lost database (a PostgreSQL restart, a failover), and
`sunshine serve` then stops the web server with it: the site would be down for as long as the
database is, although pages in the page cache and the beacon's spool need no database. This
worker (same name, same options: the project's app comes first in INSTALLED_APPS) waits
instead, asking again with back-off (1 s, 2 s, 4 s … at most 30 s, as the scheduler does), and
carries on where it stopped once the database answers. Any other error still ends it.

A task whose end could not be recorded because the database went away meanwhile is recorded
as failed once it is back, instead of staying "running" for ever.
"""

import itertools
import logging
import time

from django.db import connections
from django_tasks_db.management.commands import db_worker

from sunshine.scheduler import backoff_seconds, close_all_connections
from sunshine.unavailable import is_database_unavailable

logger = logging.getLogger("django_tasks_db")


def database_answers(alias="default"):
    try:
        connections[alias].ensure_connection()
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception as error:
        if is_database_unavailable(error):
            close_all_connections()
            return False
        raise


class Worker(db_worker.Worker):
    sleep = staticmethod(time.sleep)  # tests replace it

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.unrecorded = []  # (task result, error) whose failure the database did not take
        self.outages = 0  # times this worker waited for the database (for the tests, the log)

    def run(self):
        while True:
            try:
                self.record_unrecorded()
                return super().run()
            except Exception as error:
                if not self.running or not is_database_unavailable(error):
                    raise
                self.outages += 1
                logger.warning("数据库暂不可用（%s），后台任务 worker 等待数据库恢复", error)
                close_all_connections()
                self.wait_for_database()
                self.startup_delay = False
                logger.warning("数据库已恢复，后台任务 worker 继续运行")

    def wait_for_database(self):
        for failures in itertools.count(1):
            self.sleep(
                backoff_seconds(failures)
            )  # SIGTERM here exits at once (Worker.shutdown: no task in hand)
            if not self.running:
                return
            if database_answers():
                return

    def run_task(self, db_task_result):
        try:
            super().run_task(db_task_result)
        except Exception as error:
            # The task ended but its result could not be written: the database went away.
            if is_database_unavailable(error):
                self.unrecorded.append((db_task_result, error))
            raise

    def record_unrecorded(self):
        while self.unrecorded:
            db_task_result, error = self.unrecorded[0]
            db_task_result.set_failed(error)
            self.unrecorded.pop(0)


class Command(db_worker.Command):
    help = "运行后台任务 worker；数据库暂时不可用时等待并重连，不退出。"

    def handle(self, **options):
        # The parent's handle builds its Worker by this module-level name.
        original = db_worker.Worker
        db_worker.Worker = Worker
        try:
            return super().handle(**options)
        finally:
            db_worker.Worker = original
