"""Sign in through the fake GitHub with Django's test client, step by step."""

from urllib.parse import urlparse

import requests
from django.urls import reverse


def start(client, next_url: str = "/"):
    """Press "Sign in with GitHub": the redirect to GitHub's authorize page."""
    response = client.post(reverse("github_login"), {"next": next_url})
    assert response.status_code == 302, response.status_code
    return response["Location"]


def authorize(authorize_url: str) -> str:
    """What the browser does at GitHub: the callback URL GitHub sends it back to."""
    response = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    callback = urlparse(response.headers["Location"])
    return f"{callback.path}?{callback.query}"


def sign_in(client, fake, account, next_url: str = "/"):
    """The whole round trip; returns the response to the callback."""
    fake.sign_in_as(account)
    return client.get(authorize(start(client, next_url)))
