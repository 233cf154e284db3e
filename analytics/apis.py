"""Analytics through the API: a message's performance and recipients, and the account's
overview for a date range. Read-only; objects are looked up within the caller's account."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.rest import FormInput, IsAccountMember, NotInAccount
from accounts.tenancy import get_for_account
from analytics import consent_report, selectors
from analytics.consent_views import snapshot_recount_ask
from consent import selectors as consent_selectors
from messaging.models import SmsMessage
from messaging.selectors import SEND_METHODS, campaigns, message_owners

# A day reports are kept for, as YYYY-MM-DD: from the year 2000 (a report of earlier days could
# only be empty, and days near the calendar's ends can't be turned into times of a zone).
REPORT_DAY = r"2[0-9]{3}-[0-9]{2}-[0-9]{2}"


@extend_schema_field({"type": "string", "format": "date", "pattern": f"^{REPORT_DAY}$"})
class ReportDayField(serializers.DateField):
    """A day as YYYY-MM-DD from 2000 on (given empty, "start=", it is refused: FormInput)."""

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.fullmatch(REPORT_DAY, value):
            raise serializers.ValidationError("A day from 2000 on, as YYYY-MM-DD.")
        return super().to_internal_value(value)


RANGE_HELP = (
    " A start after the end reads as the 30 days before the end, and a range longer than "
    f"{selectors.MAX_RANGE_DAYS} days keeps its last {selectors.MAX_RANGE_DAYS} (as on the "
    "Analytics pages); `start`, `end` and `notes` say what was counted."
)


class RangeFilterSerializer(FormInput):
    start = ReportDayField(
        required=False, help_text="First day (default: 30 days before the end)." + RANGE_HELP
    )
    end = ReportDayField(required=False, help_text="Last day (default: today)")


def _report_range(request, filters: dict) -> tuple[dt.date, dt.date, list[str]]:
    today = dt.datetime.now(ZoneInfo(request.account.time_zone)).date()
    return selectors.report_range(filters.get("start"), filters.get("end"), today=today)


def _message(request, message_id: str) -> SmsMessage:
    return get_for_account(
        SmsMessage.objects.select_related("account"), request.account, message_id
    )


class CountersSerializer(serializers.Serializer):
    recipients = serializers.IntegerField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    undelivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    not_sent = serializers.IntegerField()
    clicks = serializers.IntegerField()
    unique_clicks = serializers.IntegerField()
    bot_clicks = serializers.IntegerField()
    opt_outs = serializers.IntegerField()
    replies = serializers.IntegerField(
        help_text="Texts back (not keywords) to the number that sent the message, by people "
        "whose last text from it in the 7 days before was this one"
    )


class RatesSerializer(serializers.Serializer):
    delivery_rate = serializers.FloatField(allow_null=True, help_text="% of sent")
    click_rate = serializers.FloatField(allow_null=True, help_text="unique clicks, % of delivered")
    opt_out_rate = serializers.FloatField(allow_null=True, help_text="% of delivered")
    not_delivered_rate = serializers.FloatField(allow_null=True, help_text="% of sent")


class FunnelStepSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class SeriesSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="hour or day (in the account's time zone)")
    labels = serializers.ListField(child=serializers.CharField())
    values = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField()))


class MessagePerformanceApi(APIView):
    """A message's totals, rates, funnel and time series (from the rollups)."""

    permission_classes = [IsAccountMember]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MessagePerformance"

        message = serializers.CharField()
        name = serializers.CharField()
        counters = CountersSerializer()
        rates = RatesSerializer()
        funnel = FunnelStepSerializer(many=True)
        series = SeriesSerializer()

    @extend_schema(responses=OutputSerializer)
    def get(self, request, message_id: str):
        message = _message(request, message_id)
        counters = selectors.message_counters(message=message)
        data = {
            "message": message.public_id,
            "name": message.name,
            "counters": counters,
            "rates": selectors.rates(counters),
            "funnel": selectors.funnel(counters),
            "series": selectors.message_series(message=message).as_dict(),
        }
        return Response(self.OutputSerializer(data).data)


class MessageRecipientsApi(APIView):
    """A message's recipients under a filter, searchable, in pages (`after` is the cursor)."""

    permission_classes = [IsAccountMember]

    class FilterSerializer(FormInput):
        filter = serializers.ChoiceField(
            choices=[key for key in selectors.RECIPIENT_FILTERS if key],
            required=False,
            allow_blank=True,
            help_text="Which recipients (all when empty)",
        )
        q = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=100,
            help_text="Contact name, email or phone",
        )
        after = serializers.IntegerField(
            required=False, min_value=0, help_text="The `next` cursor of the last page"
        )
        page_size = serializers.IntegerField(required=False, min_value=1, max_value=500)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MessageRecipient"

        contact = serializers.CharField(source="contact_public_id")
        contact_name = serializers.CharField()
        phone = serializers.CharField()
        status = serializers.CharField()
        detail = serializers.CharField(help_text="Why not sent, or Twilio's error and meaning.")
        error_code = serializers.IntegerField(allow_null=True)
        sent_at = serializers.DateTimeField(allow_null=True)
        status_updated_at = serializers.DateTimeField(allow_null=True)
        clicks = serializers.IntegerField()
        first_click_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(
        parameters=[FilterSerializer],
        responses=inline_serializer(
            name="MessageRecipientPage",
            fields={
                "next": serializers.IntegerField(
                    allow_null=True, help_text="`after` for the next page; null on the last."
                ),
                "results": OutputSerializer(many=True),
            },
        ),
    )
    def get(self, request, message_id: str):
        message = _message(request, message_id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        rows, next_after = selectors.recipients_page(
            account=request.account,
            message=message,
            status_filter=data.get("filter", ""),
            q=data.get("q", ""),
            after=data.get("after", 0),
            size=data.get("page_size", 50),
        )
        return Response(
            {"next": next_after, "results": self.OutputSerializer(rows, many=True).data}
        )


class AnalyticsOverviewApi(APIView):
    """The account's totals, rates, funnel, days, campaigns and send methods in a date range,
    for one campaign, send method or user when asked."""

    permission_classes = [IsAccountMember]
    names_objects = True

    class FilterSerializer(RangeFilterSerializer):
        # Given empty, a filter is not given.
        campaign = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=40,
            help_text="A campaign's id (404 when not yours)",
        )
        method = serializers.ChoiceField(
            choices=list(SEND_METHODS), required=False, allow_blank=True
        )
        owner = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=40,
            help_text="A member's id: that user's messages (404 when not yours)",
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AnalyticsOverview"

        start = serializers.DateField()
        end = serializers.DateField()
        notes = serializers.ListField(
            child=serializers.CharField(), help_text="What was changed in the range asked for."
        )
        counters = CountersSerializer()
        rates = RatesSerializer()
        funnel = FunnelStepSerializer(many=True)
        series = SeriesSerializer()
        campaigns = serializers.ListField(child=serializers.DictField())
        methods = serializers.ListField(child=serializers.DictField())

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer)
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        filters = filters.validated_data
        start, end, notes = _report_range(request, filters)
        campaign_id = owner_id = None
        if filters.get("campaign"):
            campaign = campaigns(account=request.account).filter(public_id=filters["campaign"])
            campaign_id = campaign.values_list("pk", flat=True).first()
            if campaign_id is None:
                raise NotInAccount("campaign", "No such campaign in your account.")
        if filters.get("owner"):
            owner = message_owners(account=request.account).filter(public_id=filters["owner"])
            owner_id = owner.values_list("user_id", flat=True).first()
            if owner_id is None:
                raise NotInAccount("owner", "No such member in your account.")
        data = selectors.account_overview(
            account=request.account,
            start=start,
            end=end,
            campaign_id=campaign_id,
            method=filters.get("method", ""),
            owner_id=owner_id,
        )
        return Response(
            self.OutputSerializer(
                {
                    "start": data.start,
                    "end": data.end,
                    "notes": notes,
                    "counters": data.counters,
                    "rates": data.rates,
                    "funnel": data.funnel,
                    "series": data.series.as_dict(),
                    "campaigns": data.campaigns,
                    "methods": data.methods,
                }
            ).data
        )


class ConsentNowSerializer(serializers.Serializer):
    subscription_type = serializers.CharField(help_text="The subscription type's id")
    name = serializers.CharField()
    subscribed = serializers.IntegerField()
    opted_out = serializers.IntegerField()
    not_specified = serializers.IntegerField(help_text="Can take SMS; nothing recorded")
    not_sms_capable = serializers.IntegerField(help_text="No phone that can take SMS")
    counted_at = serializers.DateTimeField(allow_null=True)


class ConsentBucketSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="The day, the week's Monday, or the month (YYYY-MM)")
    opt_ins = serializers.IntegerField()
    opt_outs = serializers.IntegerField()
    net = serializers.IntegerField()
    by_source = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="source -> [opt-ins, opt-outs]",
    )


class ConsentBreakdownSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    opt_ins = serializers.IntegerField()
    opt_outs = serializers.IntegerField()
    net = serializers.IntegerField()


class OptOutLeaderSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The message's or campaign's id ('' for no campaign)")
    name = serializers.CharField()
    opt_outs = serializers.IntegerField()
    delivered = serializers.IntegerField()
    opt_out_rate = serializers.FloatField(allow_null=True, help_text="% of delivered")


class ConsentReportApi(APIView):
    """The Consent report: where contacts stand now per subscription type; opt-ins, opt-outs
    and net growth per day, week or month, by source and by keyword; opt-outs attributed to
    the message the phone got in the 7 days before, with the top messages and campaigns by
    opt-out rate. Read from rollups the worker keeps; the same figures as Analytics > Consent."""

    permission_classes = [IsAccountMember]
    names_objects = True

    class FilterSerializer(RangeFilterSerializer):
        subscription_type = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=40,
            help_text="A subscription type's id (default: all; 404 when not yours)",
        )
        unit = serializers.ChoiceField(
            choices=list(consent_report.UNITS),
            required=False,
            allow_blank=True,
            help_text="day, week (from Monday) or month; default: days up to 92 days, weeks up "
            "to 400, else months",
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ConsentReport"

        start = serializers.DateField()
        end = serializers.DateField()
        notes = serializers.ListField(
            child=serializers.CharField(), help_text="What was changed in the range asked for."
        )
        unit = serializers.CharField()
        subscription_type = serializers.CharField(allow_null=True)
        now = ConsentNowSerializer(many=True)
        opt_ins = serializers.IntegerField()
        opt_outs = serializers.IntegerField()
        net = serializers.IntegerField()
        series = ConsentBucketSerializer(many=True)
        sources = ConsentBreakdownSerializer(many=True)
        keywords = ConsentBreakdownSerializer(many=True)
        personal_opt_outs = serializers.IntegerField(
            help_text="Opt-outs people made themselves (a keyword or a carrier's 21610)"
        )
        attributed_opt_outs = serializers.IntegerField(
            help_text="Opt-outs that followed a campaign or workflow text within 7 days"
        )
        top_messages = OptOutLeaderSerializer(many=True)
        top_campaigns = OptOutLeaderSerializer(many=True)

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer)
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        filters = filters.validated_data
        start, end, notes = _report_range(request, filters)
        subscription_type = None
        if filters.get("subscription_type"):
            subscription_type = consent_selectors.subscription_type_get(
                account=request.account, public_id=filters["subscription_type"]
            )
            if subscription_type is None:
                raise NotInAccount(
                    "subscription_type", "No such subscription type in your account."
                )
        report = consent_report.consent_report(
            account=request.account,
            start=start,
            end=end,
            unit=filters.get("unit") or consent_report.unit_default(start, end),
            subscription_type=subscription_type,
        )
        if report.stale:
            snapshot_recount_ask(request.account)
        # The numbers are plain already; a year of days by source through DRF's fields cost
        # several times the report itself. OutputSerializer documents the shape.
        return Response(
            {
                "start": report.start,
                "end": report.end,
                "notes": notes,
                "unit": report.unit,
                "subscription_type": subscription_type.public_id if subscription_type else None,
                "now": [vars(t) for t in report.now],
                "opt_ins": report.opt_ins,
                "opt_outs": report.opt_outs,
                "net": report.net,
                "series": [
                    {
                        "label": b.label,
                        "opt_ins": b.opt_ins,
                        "opt_outs": b.opt_outs,
                        "net": b.net,
                        "by_source": dict(b.by_source),
                    }
                    for b in report.buckets
                ],
                "sources": [s.as_dict() for s in report.sources],
                "keywords": [k.as_dict() for k in report.keywords],
                "personal_opt_outs": report.personal_opt_outs,
                "attributed_opt_outs": report.attributed_opt_outs,
                "top_messages": [m.as_dict() for m in report.top_messages],
                "top_campaigns": [c.as_dict() for c in report.top_campaigns],
            }
        )
