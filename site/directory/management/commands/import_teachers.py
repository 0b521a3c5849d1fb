import csv
from pathlib import Path

from django.core.management.base import CommandError

from sunshine.directory.imports import import_teachers
from sunshine.directory.management.commands._importing import ImportCommand
from sunshine.directory.spreadsheets import passwords_workbook


class Command(ImportCommand):
    help = (
        "从 CSV 或 XLSX 批量导入教师账号（用户名/工号、姓名、学校代码、手机号、初始密码）。"
        "未填初始密码的新账号会自动生成密码，只输出这一次。"
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="已有账号也按文件重设密码（未填则重新生成）",
        )
        parser.add_argument(
            "--passwords-file",
            help="把生成的密码写入这个 .xlsx 或 .csv 文件，而不是打印出来",
        )

    def handle(self, *args, **options):
        out = options["passwords_file"]
        if out and Path(out).suffix.lower() not in {".xlsx", ".csv"}:
            raise CommandError("--passwords-file 须以 .xlsx 或 .csv 结尾")
        data, name = self.read_file(options["file"])
        result = import_teachers(data, name, reset_passwords=options["reset_passwords"])
        self.report(result)
        if not result.passwords:
            return
        if out:
            self._write(Path(out), result.passwords)
            self.stdout.write(f"已生成 {len(result.passwords)} 个初始密码，写入 {out}")
        else:
            self.stdout.write("生成的初始密码（只显示这一次）：")
            for issued in result.passwords:
                self.stdout.write(f"{issued.username}\t{issued.name}\t{issued.password}")

    def _write(self, path, passwords):
        if path.suffix.lower() == ".xlsx":
            path.write_bytes(passwords_workbook(passwords))
            return
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["行号", "用户名/工号", "姓名", "学校", "初始密码"])
            for issued in passwords:
                writer.writerow(
                    [issued.line, issued.username, issued.name, issued.school, issued.password]
                )
