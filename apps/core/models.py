from django.db import models


class Heartbeat(models.Model):
    """Last sign of life of a background component ('worker', 'beat'); read by /healthz."""

    component = models.CharField(max_length=32, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.component} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
