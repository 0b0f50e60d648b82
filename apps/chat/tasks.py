from celery import shared_task

from apps.chat import services


@shared_task(name="chat.purge_deleted", ignore_result=True)
def purge_deleted() -> int:
    """Deleted conversations are kept for the undo window, then gone for good."""
    return services.purge_deleted()
