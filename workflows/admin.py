from django.contrib import admin

from workflows.models import Enrollment, Workflow, WorkflowLog


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    list_display = ("name", "account", "trigger_type", "enabled", "created_at")
    list_filter = ("enabled", "trigger_type")
    readonly_fields = ("public_id", "account", "steps", "trigger", "created_by")


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("workflow", "record_type", "record_id", "round", "status", "due_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Enrollment._meta.fields]


@admin.register(WorkflowLog)
class WorkflowLogAdmin(admin.ModelAdmin):
    list_display = ("workflow", "record_label", "event", "outcome", "reason", "created_at")
    list_filter = ("event", "outcome")
    readonly_fields = [f.name for f in WorkflowLog._meta.fields]
