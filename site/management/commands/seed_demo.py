"""`sunshine seed_demo`: demo content from every installed app that has a `demo` module.

Each `<app>.demo` module has `seed(stdout)`; they run in INSTALLED_APPS order (the site first,
then courses, then the media pipeline and analytics, which build on what came before), so an app
adds demo data without this command knowing it. Seeders create only what is missing: running
this again changes nothing.
"""

import logging
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import module_has_submodule


def demo_seeders():
    """(app config, its demo module) for each installed app that has one, in order."""
    found = []
    for app_config in apps.get_app_configs():
        if module_has_submodule(app_config.module, "demo"):
            module = import_module(f"{app_config.name}.demo")
            if callable(getattr(module, "seed", None)):
                found.append((app_config, module))
    return found


class Command(BaseCommand):
    help = "写入演示数据（区县、学校、演示账号、课程、讲座、班会资源包、直播）。可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="在生产环境中也写入（演示账号的密码是公开的，一般不要这样做）",
        )
        parser.add_argument(
            "--no-logins",
            action="store_true",
            help="不打印演示账号（make demo 在网站启动后最后打印）",
        )

    def handle(self, *args, allow_production=False, no_logins=False, **options):
        if getattr(settings, "PRODUCTION", False) and not allow_production:
            raise CommandError("生产环境不写入演示数据：演示账号的密码是公开的。")
        if options["verbosity"] < 2:
            logging.getLogger("wagtail").setLevel(logging.WARNING)  # one line per page is noise
        for app_config, module in demo_seeders():
            self.stdout.write(f"== {app_config.verbose_name}（{app_config.name}.demo）")
            module.seed(self.stdout)

        if no_logins:
            return
        from sunshine.demo import logins

        self.stdout.write("")
        for line in logins():
            self.stdout.write(line)
