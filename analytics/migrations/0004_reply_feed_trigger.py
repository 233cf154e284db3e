"""The trigger that feeds ReplyEvent (see analytics/models.py): every text stored in the inbound
table that isn't an opt-out, opt-in or help keyword, in the same transaction as the text itself,
whichever code path stored it."""

from django.db import migrations

# ruff: noqa: S608 (constant table names only; nothing from outside reaches this SQL)

INBOUND = "messaging_inboundmessage"
REPLIES = "analytics_replyevent"
NOT_REPLIES = "('opt_out', 'opt_in', 'help')"

POSTGRESQL_UP = f"""
CREATE FUNCTION analytics_reply_received() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {REPLIES} (account_id, message_sid, from_phone, to_phone, occurred_at)
    VALUES (NEW.account_id, NEW.message_sid, NEW.from_phone, NEW.to_phone, NEW.received_at);
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_reply_received AFTER INSERT ON {INBOUND}
    FOR EACH ROW WHEN (NEW.keyword_kind NOT IN {NOT_REPLIES})
    EXECUTE FUNCTION analytics_reply_received();
"""
POSTGRESQL_DOWN = f"""
DROP TRIGGER IF EXISTS analytics_reply_received ON {INBOUND};
DROP FUNCTION IF EXISTS analytics_reply_received();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_replies"),
        ("messaging", "0004_short_links_and_clicks"),
    ]

    operations = [migrations.RunSQL(POSTGRESQL_UP, POSTGRESQL_DOWN)]
