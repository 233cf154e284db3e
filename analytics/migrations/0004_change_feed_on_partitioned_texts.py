"""The change feed's statement triggers (0002) on the partitioned outbound table that messaging
0004 made: they went with the old table. On a partitioned table a statement trigger with
transition tables fires once per statement on the parent, with the rows of every partition the
statement touched, so the feed is unchanged."""

from django.db import migrations

OUTBOUND = "messaging_outboundmessage"

UP = f"""
DROP TRIGGER IF EXISTS analytics_outbound_inserted ON {OUTBOUND};
DROP TRIGGER IF EXISTS analytics_outbound_updated ON {OUTBOUND};
CREATE TRIGGER analytics_outbound_inserted AFTER INSERT ON {OUTBOUND}
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION analytics_outbound_inserted();
CREATE TRIGGER analytics_outbound_updated AFTER UPDATE ON {OUTBOUND}
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows FOR EACH STATEMENT
    EXECUTE FUNCTION analytics_outbound_updated();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_consent_rollups"),
        ("messaging", "0004_partitioned_texts_and_clicks"),
    ]

    operations = [migrations.RunSQL(UP, migrations.RunSQL.noop)]
