from django.db import migrations


def load(apps, schema_editor):
    # The same function seed_demo and tests use, given the historical model.
    from sunshine.directory.districts import load_districts

    load_districts(apps.get_model("directory", "District"))


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_profile_mobile_and_import_permissions"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
