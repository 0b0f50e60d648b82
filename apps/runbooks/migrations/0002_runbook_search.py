"""A full-text index on runbooks' titles and bodies for the search (apps.core.search);
Postgres only: SQLite searches without one."""

from django.db import migrations

from apps.core.search import CreateSearchIndex


class Migration(migrations.Migration):

    dependencies = [
        ("runbooks", "0001_runbooks"),
    ]

    operations = [
        CreateSearchIndex(model_name="runbook", fields=["title", "body"], name="runbooks_runbook_search"),
    ]
