import pytest

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The default hasher costs ~0.5 s per login-capable user; tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def notebook_process_state():
    """The live notebook's database threads close their connections after each
    test (the test database is dropped at the end) and forget its calls."""
    yield
    from agenda.notebook import consumers

    consumers.forget_process_state()


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def fake_github(settings):
    """A fake GitHub on a loopback port, with Callbook's sign-in pointed at it."""
    from tests.fake_github import CLIENT_ID, CLIENT_SECRET, FakeGitHub

    fake = FakeGitHub().start()
    settings.GITHUB_URL = fake.url
    settings.GITHUB_API_URL = ""
    settings.GITHUB_CLIENT_ID = CLIENT_ID
    settings.SOCIALACCOUNT_PROVIDERS = {
        "github": {
            **settings.SOCIALACCOUNT_PROVIDERS["github"],
            "APPS": [{"client_id": CLIENT_ID, "secret": CLIENT_SECRET}],
        }
    }
    yield fake
    fake.stop()


@pytest.fixture
def empty_page_cache():
    """The page cache empty before and after: the shared cache, this process's
    memory of recent pages and its memo of the site stamp."""
    from django.core.cache import cache

    from pagecache.caching import local_pages, stamp_memo

    cache.clear()
    local_pages.clear()
    stamp_memo.value = None
    yield
    cache.clear()
    local_pages.clear()
