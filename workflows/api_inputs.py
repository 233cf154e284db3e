"""What the workflows API takes, as its schema publishes it: a trigger of the shape its type
says (a oneOf over trigger_type), and steps each of the shape its `type` says, branches holding
steps in turn. Each serializer here refuses exactly what its schema refuses; whether the lists,
numbers, users and properties a body names are the account's, and the rules that read them, are
the service's (workflows.definition): a body that passes here is refused only for those (409).
How deep branches nest and how many steps there are in all, the service checks too (400).
"""

from __future__ import annotations

from rest_framework import serializers

from accounts.rest import JsonInput, Tag, TaggedUnionField
from accounts.schema import NOT_BLANK
from workflows import definition
from workflows.models import TriggerType
from workflows.records import REGISTRY
from workflows.services.workflows import NAME_MAX_LENGTH


class TriggerRecordCreated(JsonInput):
    class Meta:
        ref_name = "WorkflowTriggerRecordCreated"


class TriggerPropertyChanged(JsonInput):
    class Meta:
        ref_name = "WorkflowTriggerPropertyChanged"

    property = serializers.CharField(help_text="The property's key.")
    value = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The value it changes to; empty or left out: any change.",
    )


class TriggerListAdded(JsonInput):
    class Meta:
        ref_name = "WorkflowTriggerListAdded"

    list = serializers.CharField(help_text="A static list's id.")


class TriggerInboundKeyword(JsonInput):
    class Meta:
        ref_name = "WorkflowTriggerInboundKeyword"

    keyword = serializers.RegexField(
        r"^[A-Za-z0-9]{1,30}\Z",
        trim_whitespace=False,
        help_text="One word of letters and digits, at most 30 (compared in upper case).",
        error_messages={"invalid": "A keyword is one word of letters and digits, at most 30."},
    )


TRIGGERS: dict[str, type[JsonInput]] = {
    TriggerType.RECORD_CREATED: TriggerRecordCreated,
    TriggerType.PROPERTY_CHANGED: TriggerPropertyChanged,
    TriggerType.LIST_ADDED: TriggerListAdded,
    TriggerType.INBOUND_KEYWORD: TriggerInboundKeyword,
}


class _Step(JsonInput):
    id = serializers.CharField(
        required=False, help_text="Kept across updates (stp_…); a new step gets one."
    )


class DelayStep(_Step):
    class Meta:
        ref_name = "WorkflowDelayStep"

    type = Tag("delay")
    amount = serializers.IntegerField(min_value=1)
    unit = serializers.ChoiceField(choices=list(definition.DELAY_UNITS))

    # At most a year, in any unit.
    LONGEST = {
        unit: int(definition.MAX_DELAY.total_seconds()) // seconds
        for unit, seconds in definition.DELAY_UNITS.items()
    }
    schema_extra = {
        "oneOf": [
            {"properties": {"unit": {"enum": [unit]}, "amount": {"maximum": longest}}}
            for unit, longest in LONGEST.items()
        ]
    }

    def validate(self, attrs):
        longest = self.LONGEST[attrs["unit"]]
        if attrs["amount"] > longest:
            raise serializers.ValidationError(
                {"amount": [f"A delay is at most 365 days: {longest:,} {attrs['unit']}."]}
            )
        return attrs


class WaitUntilStep(_Step):
    class Meta:
        ref_name = "WorkflowWaitUntilStep"

    type = Tag("wait_until")
    time = serializers.RegexField(
        r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z",
        trim_whitespace=False,
        help_text="HH:MM (24-hour), the next such time in the record's time zone.",
        error_messages={"invalid": "Give a time of day as HH:MM (24-hour), e.g. 09:30."},
    )


class SendSmsStep(_Step):
    class Meta:
        ref_name = "WorkflowSendSmsStep"

    type = Tag("send_sms")
    from_number = serializers.CharField(help_text="The sending number's id.")
    sender_user = serializers.CharField(help_text="The id of a user linked to that number.")
    phone_property = serializers.CharField(help_text="mobile_phone, phone or a custom key.")
    body = serializers.CharField(
        trim_whitespace=False,
        help_text='Tokens like {{ contact.first_name | default: "there" }}.',
    )
    append_opt_out = serializers.BooleanField(required=False, default=True)


class BranchStep(_Step):
    class Meta:
        ref_name = "WorkflowBranchStep"

    type = Tag("branch")
    property = serializers.CharField(help_text="The property's key.")
    operator = serializers.ChoiceField(choices=list(definition.BRANCH_OPERATORS))
    value = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="What to compare with; is_known and is_unknown take none.",
    )
    # yes and no: see below (they hold steps, branches among them).

    # The value is needed unless the operator takes none.
    schema_extra = {
        "oneOf": [
            {"properties": {"operator": {"enum": list(definition.VALUELESS_OPERATORS)}}},
            {
                "properties": {
                    "operator": {
                        "enum": [
                            o
                            for o in definition.BRANCH_OPERATORS
                            if o not in definition.VALUELESS_OPERATORS
                        ]
                    },
                    "value": {"pattern": NOT_BLANK},
                },
                "required": ["value"],
            },
        ]
    }

    def validate(self, attrs):
        if (
            attrs["operator"] not in definition.VALUELESS_OPERATORS
            and not attrs.get("value", "").strip()
        ):
            raise serializers.ValidationError({"value": ["Give the value to compare with."]})
        return attrs


STEP_KINDS: dict[str, type[JsonInput]] = {
    "delay": DelayStep,
    "wait_until": WaitUntilStep,
    "branch": BranchStep,
    "send_sms": SendSmsStep,
}


def steps_field(**kwargs) -> serializers.ListField:
    """A list of steps, each read by its type's serializer. The schema is recursive (a branch
    holds steps); how deep branches nest (definition.MAX_DEPTH) and how many steps there are in
    all (MAX_STEPS) the service checks, and says so."""
    return serializers.ListField(
        child=TaggedUnionField(tag="type", kinds=STEP_KINDS),
        max_length=definition.MAX_STEPS,
        **kwargs,
    )


# A branch's paths hold steps: declared once the kinds exist.
BranchStep._declared_fields["yes"] = steps_field(required=False, help_text="When it holds.")
BranchStep._declared_fields["no"] = steps_field(required=False, help_text="When it doesn't.")


def _trigger_read(trigger_type: str, trigger: dict | None) -> dict:
    """The trigger as its type reads it; ValidationError on "trigger" otherwise."""
    serializer = TRIGGERS[trigger_type](data=trigger if trigger is not None else {})
    if not serializer.is_valid():
        raise serializers.ValidationError({"trigger": serializer.errors})
    return dict(serializer.validated_data)


def _trigger_variants(auto_schema, direction) -> list[dict]:
    """One oneOf branch per trigger type: that type, and its trigger's shape."""
    return [
        {
            "properties": {
                "trigger_type": {"enum": [trigger_type]},
                "trigger": auto_schema.resolve_serializer(kind, direction).ref,
            },
            "required": ["trigger_type"]
            + (["trigger"] if trigger_type != TriggerType.RECORD_CREATED else []),
        }
        for trigger_type, kind in TRIGGERS.items()
    ]


def _trigger_field() -> serializers.DictField:
    return serializers.DictField(
        required=False,
        help_text="By trigger_type: record_created {} (or left out); property_changed "
        "{property, value}; list_added {list}; inbound_keyword {keyword}.",
    )


class WorkflowCreateInput(JsonInput):
    class Meta:
        ref_name = "WorkflowCreateInput"

    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    record_type = serializers.ChoiceField(choices=list(REGISTRY), default="contact")
    trigger_type = serializers.ChoiceField(choices=TriggerType.choices)
    trigger = _trigger_field()
    steps = steps_field(required=False, help_text="The steps, run in order.")
    allow_reenrollment = serializers.BooleanField(required=False, default=False)

    @staticmethod
    def schema_extra_with(auto_schema, direction) -> dict:
        return {"oneOf": _trigger_variants(auto_schema, direction)}

    def validate(self, attrs):
        attrs["trigger"] = _trigger_read(attrs["trigger_type"], attrs.get("trigger"))
        return attrs


class WorkflowUpdateInput(JsonInput):
    class Meta:
        ref_name = "WorkflowUpdateInput"

    name = serializers.CharField(max_length=NAME_MAX_LENGTH, required=False)
    trigger_type = serializers.ChoiceField(choices=TriggerType.choices, required=False)
    trigger = _trigger_field()
    steps = steps_field(required=False, help_text="The steps, run in order; they replace all.")
    allow_reenrollment = serializers.BooleanField(required=False)

    @staticmethod
    def schema_extra_with(auto_schema, direction) -> dict:
        # Either the trigger stays as it is, or a trigger_type comes (with its trigger).
        unchanged = {"not": {"anyOf": [{"required": ["trigger_type"]}, {"required": ["trigger"]}]}}
        return {"oneOf": [unchanged, *_trigger_variants(auto_schema, direction)]}

    def validate(self, attrs):
        if "trigger_type" in attrs:
            attrs["trigger"] = _trigger_read(attrs["trigger_type"], attrs.get("trigger"))
        elif "trigger" in attrs:
            raise serializers.ValidationError(
                {"trigger_type": ["Give the trigger's trigger_type with it."]}
            )
        return attrs
