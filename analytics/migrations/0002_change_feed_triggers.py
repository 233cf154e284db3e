"""Triggers that feed OutboundEvent, OptOutEvent and ReplyEvent (see analytics/models.py for why).

Statement-level triggers with transition tables: one event row per (message, old status, new
status) per statement.
Only campaign and workflow texts count (test sends and one-to-one replies don't), and only
personal opt-outs (a keyword or a carrier's error), the ones a message can cause.

An event's time is the application's own: the row's `created_at` for a new text, and its
`status_updated_at` when the statement that changed the status also set it (every status change
in messaging does), else the database's clock. So the rollup buckets a delivery at the moment
the drift check would recompute it from the row.

Every text stored in the inbound table that isn't an opt-out, opt-in or help keyword is a reply,
recorded in the same transaction as the text itself, whichever code path stored it.
"""

from django.db import migrations

# ruff: noqa: S608 (constant table names only; nothing from outside reaches this SQL)

OUTBOUND = "messaging_outboundmessage"
LEDGER = "consent_consentledgerentry"
EVENTS = "analytics_outboundevent"
OPT_OUTS = "analytics_optoutevent"
# messaging.models.OutboundMessage.MARKETING_KINDS, as this migration's SQL has them (a
# migration keeps the values it was written with; a change of the kinds is a new migration).
COUNTED_KINDS = "('campaign', 'workflow')"
PERSONAL_SOURCES = "('keyword', 'carrier')"
INBOUND = "messaging_inboundmessage"
REPLIES = "analytics_replyevent"
NOT_REPLIES = "('opt_out', 'opt_in', 'help')"

POSTGRESQL_UP = f"""
CREATE FUNCTION analytics_outbound_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {EVENTS} (message_id, old_status, new_status, count, occurred_at)
    SELECT message_id, '', status, count(*), max(created_at) FROM inserted
    WHERE message_id IS NOT NULL AND kind IN {COUNTED_KINDS}
    GROUP BY message_id, status;
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_outbound_inserted AFTER INSERT ON {OUTBOUND}
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION analytics_outbound_inserted();

CREATE FUNCTION analytics_outbound_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {EVENTS} (message_id, old_status, new_status, count, occurred_at)
    SELECT n.message_id, o.status, n.status, count(*), max(CASE
        WHEN n.status_updated_at IS DISTINCT FROM o.status_updated_at THEN n.status_updated_at
        ELSE now() END)
    FROM before_rows o JOIN after_rows n ON n.id = o.id
    WHERE n.message_id IS NOT NULL AND n.kind IN {COUNTED_KINDS} AND o.status <> n.status
    GROUP BY n.message_id, o.status, n.status;
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_outbound_updated AFTER UPDATE ON {OUTBOUND}
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows FOR EACH STATEMENT
    EXECUTE FUNCTION analytics_outbound_updated();

CREATE FUNCTION analytics_opt_out_recorded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {OPT_OUTS} (ledger_entry_id, account_id, contact_id, phone_e164, occurred_at)
    VALUES (NEW.id, NEW.account_id, NEW.contact_id, NEW.phone_e164, NEW.occurred_at);
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_opt_out_recorded AFTER INSERT ON {LEDGER}
    FOR EACH ROW WHEN (NEW.new_status = 'unsubscribed' AND NEW.source IN {PERSONAL_SOURCES})
    EXECUTE FUNCTION analytics_opt_out_recorded();

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
DROP TRIGGER IF EXISTS analytics_outbound_inserted ON {OUTBOUND};
DROP TRIGGER IF EXISTS analytics_outbound_updated ON {OUTBOUND};
DROP TRIGGER IF EXISTS analytics_opt_out_recorded ON {LEDGER};
DROP FUNCTION IF EXISTS analytics_outbound_inserted();
DROP FUNCTION IF EXISTS analytics_outbound_updated();
DROP FUNCTION IF EXISTS analytics_opt_out_recorded();
DROP TRIGGER IF EXISTS analytics_reply_received ON {INBOUND};
DROP FUNCTION IF EXISTS analytics_reply_received();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("messaging", "0001_initial"),
        ("consent", "0001_initial"),
    ]

    operations = [migrations.RunSQL(POSTGRESQL_UP, POSTGRESQL_DOWN)]
