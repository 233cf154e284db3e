"""Pages of the messaging app: the messages list and composer (compose), test phones, SMS
settings (usage, message properties) and the inbox. Sending and scheduling: views.send."""
