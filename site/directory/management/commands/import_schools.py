from sunshine.directory.imports import import_schools
from sunshine.directory.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = "从 CSV 或 XLSX 批量导入学校（学校代码、学校名称、区县、学段）；再次导入会更新。"

    def handle(self, *args, **options):
        data, name = self.read_file(options["file"])
        self.report(import_schools(data, name))
