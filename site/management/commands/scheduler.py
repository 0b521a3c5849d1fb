"""`sunshine scheduler`: runs the periodic jobs that apps register (see sunshine.scheduler)."""

import signal
import threading

from django.core.management.base import BaseCommand

from sunshine import scheduler


class Command(BaseCommand):
    help = "运行定时任务（如定时发布）。可同时运行多个：只有一个会执行任务，其余待命。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--list", action="store_true", dest="list_jobs", help="列出注册的定时任务后退出"
        )
        parser.add_argument(
            "--once", action="store_true", help="把所有任务各运行一次后退出（用于 cron）"
        )

    def handle(self, *args, list_jobs=False, once=False, **options):
        jobs = scheduler.registered_jobs()
        if list_jobs:
            for job in jobs:
                target = "task" if job.task is not None else "func"
                self.stdout.write(f"{job.name}\t每 {job.every}\t{target}")
            return
        runner = scheduler.Scheduler(jobs)
        if once:
            try:
                ran = runner.tick()
            finally:
                runner.lock.release()
            if not ran and jobs:
                self.stderr.write("另一个调度器正在运行，本次未执行任何任务。")
            return

        stop = threading.Event()

        def request_stop(signum, frame):
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, request_stop)
        runner.run_forever(stop)
