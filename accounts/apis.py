"""The account-level API: who am I."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.rest import request_membership


class MeApi(APIView):
    """Who the caller is, and in which account the call acts."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField(source="user.public_id")
        email = serializers.EmailField(source="user.email")
        name = serializers.CharField(source="user.get_full_name")
        account = serializers.SerializerMethodField()
        role = serializers.CharField()
        can_setup_sms = serializers.BooleanField(source="may_setup_sms")

        def get_account(self, membership) -> dict:
            return {"id": membership.account.public_id, "name": membership.account.name}

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        membership = request_membership(request)
        return Response(self.OutputSerializer(membership).data)
