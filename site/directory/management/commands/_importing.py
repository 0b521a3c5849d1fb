from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class ImportCommand(BaseCommand):
    """Shared by import_schools and import_teachers: read the file, print the outcome."""

    subject = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV（UTF-8 / GBK）或 XLSX 文件")

    def read_file(self, path):
        path = Path(path)
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        return path.read_bytes(), path.name

    def report(self, result):
        if result.file_error:
            raise CommandError(result.file_error)
        for error in result.errors:
            self.stderr.write(f"第 {error.line} 行：{error.message}")
        style = self.style.WARNING if result.errors else self.style.SUCCESS
        self.stdout.write(style(result.summary()))
