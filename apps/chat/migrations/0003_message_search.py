"""A full-text index on messages for the conversation search (apps.core.search);
Postgres only: SQLite searches without one."""

from django.db import migrations

from apps.core.search import CreateSearchIndex


class Migration(migrations.Migration):

    dependencies = [
        ("chat", "0002_preset_constraints"),
    ]

    operations = [
        # Conversation titles need none: a search only ever reads one member's conversations,
        # which the owner index finds.
        CreateSearchIndex(model_name="message", fields=["content"], name="chat_message_search"),
    ]
