"""A local stand-in for Twilio's REST API that also plays the carrier.

Development and tests only; the apps never import it, and it imports neither Django nor any
smsapp code (only the twilio SDK's ``RequestValidator``, to sign webhooks the way Twilio does,
and ``jsonschema``, to check requests against Twilio's OpenAPI schemas).

Run it::

    python -m twilio_emulator --port 8010 [--host 127.0.0.1] [--state-file var/emulator.json]
                              [--callback-delay 0.5] [--callback-workers 16] [--inbound-url URL]
                              [--review-delay 2]

In tests, start it in-process::

    from twilio_emulator.server import start_in_thread
    emulator = start_in_thread(port=0, callback_delay=0)
    ...  # emulator.url, emulator.account_sid, emulator.auth_token, emulator.state
    emulator.stop()

``twilio_emulator.testing`` has a ``WebhookReceiver`` (a tiny server recording the signed posts
it gets, standing in for our webhooks) and ``wait_until`` (poll with a deadline, no sleeps).

Hosts and paths
---------------
The SDK talks to https://api.twilio.com, https://messaging.twilio.com and
https://trusthub.twilio.com. The gateway (``twilio_gateway/client.py``) rewrites
``https://{api,messaging,trusthub}.twilio.com/<path>`` to ``{TWILIO_API_BASE_URL}/<path>``, keeping
the path and query string unchanged, so this one server answers all three hosts on one port:
``/2010-04-01/...`` (api), ``/v1/Services...``, ``/v1/a2p/...`` (messaging),
``/v1/CustomerProfiles...``, ``/v1/EndUsers...`` (trusthub). No path of the messaging v1 spec
collides with one of the trusthub v1 spec (checked against twilio-oai 2.6.7), so no host prefix is
needed. Requests for any other Twilio host are refused by the gateway, never sent to Twilio.
Emulator-only control endpoints live under ``/_emulator/``.

Accounts and authentication
---------------------------
The master account is ``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN`` from the environment,
defaulting to ``AC00000000000000000000000000000001`` / ``emulator-auth-token-0000000000001``
(smsapp's settings use the same defaults when no real Twilio credentials are configured). HTTP
basic auth is checked on every Twilio endpoint: the master may act on itself and its subaccounts,
a subaccount only on itself, and only active accounts authenticate. Anything else gets Twilio's
``401 {"code": 20003, "message": "Authenticate", ...}``. Only the master creates subaccounts.

Twilio's contract
-----------------
Every request to a Twilio endpoint is checked, before its handler runs, against its operation's
request schema in Twilio's OpenAPI specs (``specs/``: the operations served here, cut verbatim
from twilio-oai 2.6.7 and read at start-up; ``specs/SOURCE.md``): required parameters, types,
formats (uri, phone-number, date-time), enums, limits, SID patterns, and the rules the specs state
only in descriptions (``contract_rules.py``). A refusal is Twilio's 400 error body with the code
Twilio documents for that parameter (21604, 21211, 21212, 21609, 21705, 21421, 21502) or 20001; a
path SID off its pattern is a 404. Parameters an operation does not define are ignored, as on
Twilio. See ``contract.py``. ``GET /_emulator/operations`` reports, per operationId, requests
accepted and refused, undefined parameters sent, and the last accepted request.

Twilio endpoints served
-----------------------
- ``POST /2010-04-01/Accounts.json`` (FriendlyName), ``GET /2010-04-01/Accounts.json``,
  ``GET|POST /2010-04-01/Accounts/{Sid}.json`` (POST updates FriendlyName, Status).
- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (To, From or MessagingServiceSid,
  Body, StatusCallback), ``GET .../Messages/{Sid}.json``, ``GET .../Messages.json`` (To, From,
  DateSent, DateSent<, DateSent>; PageSize, Page, PageToken; newest first). A message with no
  date_sent yet (still accepted/queued) never matches a DateSent filter, as on Twilio.
- Registration (SMS setup), see "Registration and the simulated review" below:
  ``.../Addresses.json`` and ``.../Addresses/{Sid}.json``; ``/v1/CustomerProfiles`` and
  ``/v1/TrustProducts`` (create, list, fetch, update Status to pending-review) with their
  ``/EntityAssignments`` (create, list) and ``/Evaluations`` (create); ``/v1/EndUsers`` and
  ``/v1/SupportingDocuments`` (create, fetch, update); ``/v1/a2p/BrandRegistrations`` (create,
  list, fetch, POST to resubmit a FAILED one); ``/v1/Services`` (create, list, fetch, update),
  ``/v1/Services/{Sid}/PhoneNumbers`` (add, list, fetch), ``.../Compliance/Usa2p`` (create, list,
  fetch, update), ``.../Compliance/Usa2p/Usecases``, ``/v1/Services/Usecases``;
  ``.../AvailablePhoneNumbers/{US|CA}/Local.json`` (AreaCode, Contains, SmsEnabled, PageSize) and
  ``.../IncomingPhoneNumbers.json`` (buy by PhoneNumber or AreaCode, list, fetch, update).
  v1 answers use ISO 8601 dates, absolute ``https://{messaging,trusthub}.twilio.com`` URLs and
  ``meta`` list pages, as Twilio's do; v1 resources are visible only to the account whose
  credentials created them.

Destination-number rules (by the last four digits of To)
--------------------------------------------------------
``To`` must be E.164 (``+`` and 8-15 digits; spaces, dashes, dots and brackets are ignored and a
bare 10-digit number is read as +1), else 400 / 21211. Then, at create:

=========  ==================================================================================
ends in    result
=========  ==================================================================================
``1211``   400, code 21211 "The 'To' number +X is not a valid phone number."
``1610``   400, code 21610 "Attempt to send to unsubscribed recipient"
``1612``   400, code 21612 (not reachable via SMS from this sender)
``1614``   400, code 21614 "'To' number is not a valid mobile number"
``1635``   400, code 21635 (landline)
``0429``   429, code 20429 "Too Many Requests", every attempt
``1429``   429, code 20429 on the first attempt for that recipient only; later attempts succeed
``0500``   500, code 20500, every attempt; nothing is created
``0504``   the message IS created (and delivered), but the answer is 504 (code 20504): a lost
           response, for exactly-once tests; every attempt creates another message
``1504``   as ``0504`` on the first attempt for that recipient only; later attempts answer 201
``0003``   created, then undelivered, ErrorCode 30003 (unreachable handset)
``0005``   created, then undelivered, ErrorCode 30005 (unknown handset)
``0006``   created, then undelivered, ErrorCode 30006 (landline or unreachable carrier)
``0007``   created, then failed, ErrorCode 30007 (filtered); no "sent" step
other      created, then delivered
=========  ==================================================================================

A recipient who texted an opt-out word (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT,
REVOKE) through ``/_emulator/inbound`` gets 21610 from that sender (the Messaging Service when the
number belongs to one, else the number) until they text START, YES or UNSTOP. As Twilio does on
long codes (Advanced Opt-Out off), those words and HELP / INFO are answered from the number
texted with Twilio's default replies (``rules.DEFAULT_REPLIES``; no HELP reply while opted out),
recorded as ``outbound-reply`` messages to the handset.
Missing To -> 21604, missing From and MessagingServiceSid -> 21603, missing Body -> 21602, a body
over 1,600 characters -> 21617, a non-URL StatusCallback -> 21609, a MessagingServiceSid off
its pattern -> 21705. From is not checked against the account's numbers.

Registration and the simulated review
-------------------------------------
A customer profile needs a ``customer_profile_business_information`` and an
``authorized_representative_1`` end user and a ``customer_profile_address`` document citing an
address (policy ``RNdfbf3fae0e1107f8aded0e7cead80bf5``); a trust product needs a
``us_a2p_messaging_profile_information`` end user (with stock_exchange and stock_ticker when
company_type is public) and an assigned customer profile (policy
``RNb0d4771c2c98518d916a3d4cd70a8f8b``). An incomplete bundle evaluates ``noncompliant`` and
cannot be submitted (400). The primary (ISV) profile Twilio also asks for is not required here.
A brand needs both bundles submitted; one brand per customer profile (409 / 20409); one campaign
per Messaging Service (409 / 20409); a campaign needs an APPROVED brand (400). Adding a number
already in the service answers 409 / 21710, in another service 409 / 21712; buying an owned
number 400 / 21422. Inventory: +1 NPA 555-0100..0199 per area code, 0199 voice-only.

Submitted bundles, brands and campaigns are reviewed ``--review-delay`` seconds later (default
2; ``start_in_thread`` uses 0): the outcome, decided at submission, is applied by the next read.

=====================================================  ==========================================
input at submission                                     outcome
=====================================================  ==========================================
a compliant bundle                                      ``twilio-approved``
brand whose business_name contains ``REJECT``           ``FAILED``, failure_reason "The legal
(any case)                                              business name does not match ..."
brand whose business_registration_number is             ``FAILED``, failure_reason "... not found
``00-0000000`` (9 zeros, dashes ignored)                in the IRS records."
any other brand                                         ``APPROVED``, brand_score = the configured
                                                        score (default 80), a tcr_id
campaign whose Description contains ``REJECT``          ``FAILED``, errors[0].description "The
                                                        campaign description is not detailed ..."
any other campaign                                      ``VERIFIED``, a campaign_id, rate_limits
=====================================================  ==========================================

``POST /_emulator/review`` (control, no auth): ``Delay`` (seconds, for later submissions),
``BrandScore`` (1-100, for later brands), ``Complete=true`` (apply every pending outcome now);
``GET /_emulator/review`` shows the settings and how many reviews are pending.

The carrier
-----------
A message created with From starts ``queued``; with MessagingServiceSid it starts ``accepted`` and
then moves to ``queued`` (with a callback, as Twilio does for Messaging Services). Every
``--callback-delay`` seconds (0 allowed) it moves one step on: ``sent``, then ``delivered`` /
``undelivered``; a failing one goes straight from ``queued`` to ``failed``. The state changes, and
when the message has a StatusCallback (or its Messaging Service has a status_callback) Twilio's
form parameters are POSTed there (AccountSid, ApiVersion, From, MessageSid, MessageStatus,
MessagingServiceSid, SmsSid, SmsStatus, To, ErrorCode when failed or undelivered, RawDlrDoneDate
when final), signed in ``X-Twilio-Signature`` with the auth token of the message's (sub)account.
The steps of one message are posted in order; a pool of ``--callback-workers`` threads posts for
many messages at once, over kept-alive connections. Like Twilio, a failed callback is not retried.

Control endpoints (not Twilio's; no auth)
-----------------------------------------
- ``POST /_emulator/inbound`` From, To, Body, optional AccountSid, Url: records an inbound
  message and POSTs Twilio's signed inbound webhook to Url, else the Messaging Service's
  inbound_request_url (unless use_inbound_webhook_on_number), else the number's sms_url, else
  ``--inbound-url``. Answers ``{"message_sid", "account_sid", "url", "webhook_status",
  "webhook_body", "opt_out", "auto_reply"}`` (auto_reply: Twilio's reply text, or null).
- ``POST /_emulator/numbers`` AccountSid (default master), PhoneNumber, SmsUrl, optional
  MessagingServiceSid, FriendlyName: registers (or updates) a number without buying one.
  ``GET /_emulator/numbers`` lists them.
- ``GET /_emulator/messages`` (To, AccountSid, Direction filters), oldest first.
- ``GET /_emulator/stats``: creates and attempts per recipient, (To, Body) pairs created more than
  once, callbacks posted and failed.
- ``GET /_emulator/operations``: per Twilio operationId, requests accepted and refused by the
  contract, parameters sent that the operation does not define, the last accepted request.
- ``POST /_emulator/reset``: forgets everything but the master account.

State lives in memory; with ``--state-file`` it is loaded at start and saved (debounced, written
atomically) after changes and at shutdown, so a restart keeps accounts, numbers, messages,
opt-outs and counters; messages still on their way resume their journey.
"""
