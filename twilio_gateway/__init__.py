"""The Twilio gateway: the one package of the project that imports the twilio SDK.

Below every app (registration and messaging both use it) and importing none of them:

- ``client``: SDK clients, ``Credentials``, and the emulator routing of ``TWILIO_API_BASE_URL``;
- ``errors``: the SDK's errors as ``PermanentSendError`` / ``TransientSendError``;
- ``messages``: send and read texts, webhook URLs and signatures;
- ``provisioning``: subaccounts, Trust Hub, brands, Messaging Services, campaigns, numbers.
"""
