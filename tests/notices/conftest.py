import datetime as dt

import pytest
from django.utils import timezone

from tests.notices.servers import Clock, SmtpServer, WebhookReceiver

SITE = "https://calls.test"


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def mail_settings(settings, smtp):
    """Notices go through the real SMTP server on loopback."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "Callbook <calls@calls.test>"
    settings.NOTICES_DIGEST_LEAD_HOURS = 24
    settings.NOTICES_NEXT_MC_LEAD_HOURS = 48
    settings.NOTICES_RETRY_SECONDS = 60
    settings.NOTICES_MAX_ATTEMPTS = 3
    settings.NOTICES_LEASE_SECONDS = 300
    settings.NOTICES_ACTION_DIGEST_WEEKDAY = 0
    settings.NOTICES_ACTION_DIGEST_HOUR = 8
    return settings


@pytest.fixture
def clock():
    # Starts a minute after the real time: decisions made through the moderation
    # services are stamped with the real time, so they are due at once.
    return Clock(timezone.now().replace(microsecond=0) + dt.timedelta(minutes=1))
