from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0005_test_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="smsmessage",
            name="fanout_started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="smsmessage",
            name="fanout_starts_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
