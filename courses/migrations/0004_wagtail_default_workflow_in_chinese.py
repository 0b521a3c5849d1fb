"""Wagtail's own migration names its default workflow and task after the groups that could
publish ("Moderators approval"). The admin shows that name in its workflow screens. The bureau's
pages go through 自审→初审→复审→终审 (courses.workflow), so this one only gets a Chinese name
that says what it is. Only the name changes: nothing that is in progress is touched."""

from django.db import migrations

ENGLISH = "Moderators approval"
CHINESE = "Wagtail 默认审批（本站课程不使用）"


def rename(apps, schema_editor, old=ENGLISH, new=CHINESE):
    apps.get_model("wagtailcore", "Workflow").objects.filter(name=old).update(name=new)
    apps.get_model("wagtailcore", "Task").objects.filter(name=old).update(name=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, old=CHINESE, new=ENGLISH)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0003_review_task"),
        ("wagtailcore", "0048_add_default_workflows"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
