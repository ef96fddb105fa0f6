"""SiteGeneration moved from `people` to `pagecache`: the stamp survives the move."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from pagecache.models import SiteGeneration


@pytest.mark.django_db(transaction=True)
def test_moving_the_site_stamp_to_pagecache_keeps_its_row():
    executor = MigrationExecutor(connection)
    executor.migrate([("pagecache", None)])  # back to before the move
    executor.loader.build_graph()
    old = executor.loader.project_state(("people", "0002_site_generation")).apps
    OldGeneration = old.get_model("people", "SiteGeneration")
    assert OldGeneration._meta.db_table == "people_sitegeneration"
    OldGeneration.objects.update_or_create(
        pk=1, defaults={"stamp": "a" * 32, "changed_at": "2026-01-02T03:04:05Z"}
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert SiteGeneration._meta.db_table == "pagecache_sitegeneration"
    assert SiteGeneration.objects.values_list("pk", "stamp").get() == (1, "a" * 32)
    assert "people_sitegeneration" not in connection.introspection.table_names()
