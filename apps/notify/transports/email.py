"""Email through Django's mail settings (EMAIL_HOST ...) to the channel's `target` address."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import send_mail

from apps.notify.events import Event
from apps.notify.transports.base import Transport, TransportError


class EmailTransport(Transport):
    label = "email"

    def notify(self, event: Event) -> None:
        if not self.channel.target:
            raise TransportError("no address to send to", permanent=True)
        if not settings.EMAIL_CONFIGURED:  # the console backend would "send" it into the log
            raise TransportError("email is not set up: EMAIL_HOST is empty in the environment", permanent=True)
        subject = f"[{self.household}] {event.title}"
        body = f"{event.text}\n\n-- HomeOps at {self.household}\n"
        try:
            send_mail(subject, body, None, [self.channel.target], fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"the mail server refused {self.channel.target}: {exc}", permanent=True) from None
        except smtplib.SMTPResponseException as exc:
            message = f"the mail server answered {exc.smtp_code}: {exc.smtp_error!r}"
            raise TransportError(message, permanent=500 <= exc.smtp_code < 600) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"could not reach the mail server ({exc.__class__.__name__}: {exc})") from None
