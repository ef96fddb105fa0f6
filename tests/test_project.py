from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_migrations_apply_backwards_and_forwards():
    # The test database was built by these migrations; unapply and reapply them.
    call_command("migrate", "agenda", "zero", verbosity=0)
    call_command("migrate", verbosity=0)


def test_system_checks_pass():
    call_command("check")
