from django.db import migrations

GRADE_BANDS = [
    ("primary_lower", "小学低年级"),
    ("primary_middle", "小学中年级"),
    ("primary_upper", "小学高年级"),
    ("junior", "初中"),
    ("senior", "高中"),
    ("teacher", "教师"),
    ("parent", "家长"),
]


def create_grade_bands(apps, schema_editor):
    GradeBand = apps.get_model("courses", "GradeBand")
    for sort_order, (code, name) in enumerate(GRADE_BANDS):
        GradeBand.objects.update_or_create(
            code=code, defaults={"name": name, "sort_order": sort_order}
        )


class Migration(migrations.Migration):
    dependencies = [("courses", "0001_initial")]

    operations = [migrations.RunPython(create_grade_bands, migrations.RunPython.noop)]
