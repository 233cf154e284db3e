"""The Send SMS step in words: property labels, token help that renders, one error per
problem."""

from __future__ import annotations

import pytest

from tests.conftest import client_for
from workflows.models import Workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def workflow(flows) -> Workflow:
    bob = client_for(flows.user)
    bob.post(
        "/workflows/new/",
        {"name": "Welcome", "trigger_type": "list_added", "list": flows.sending.audience.public_id},
    )
    return Workflow.objects.get()


def step_form(flows, **overrides) -> dict:
    return {
        "type": "send_sms",
        "from_number": flows.sending.sender.public_id,
        "sender_user": flows.user.public_id,
        "phone_property": "mobile_phone",
        "body": "Hi {{ contact.first_name }}!",
        "append_opt_out": "on",
        **overrides,
    }


def test_the_send_sms_step_speaks_in_labels(flows, workflow):
    bob = client_for(flows.user)
    step_url = f"/workflows/{workflow.public_id}/step/"
    form = bob.get(step_url, {"type": "send_sms"}).content.decode()
    # The token help shows tokens as they are typed, for every property.
    assert "endverbatim" not in form
    assert '<code title="First name">{{ contact.first_name }}</code>' in form
    assert bob.post(step_url, step_form(flows)).status_code == 302
    page = bob.get(f"/workflows/{workflow.public_id}/").content.decode()
    assert "Text the contact's <strong>Mobile phone</strong>" in page
    assert "mobile_phone" not in page


def test_a_body_over_1600_characters_is_reported_once(flows, workflow):
    bob = client_for(flows.user)
    response = bob.post(
        f"/workflows/{workflow.public_id}/step/", step_form(flows, body="x" * 1700)
    ).content.decode()
    assert response.count("A message is limited to 1,600 characters") == 1


def test_the_send_sms_step_has_the_composers_counter_preview_and_personalize(flows, workflow):
    bob = client_for(flows.user)
    form = bob.get(f"/workflows/{workflow.public_id}/step/", {"type": "send_sms"}).content.decode()
    assert 'id="segment-counter"' in form and 'id="preview-bubble"' in form
    assert 'id="personalize-menu"' in form
    assert '<option value="first_name" data-type="contact">First name</option>' in form
    # A workflow's text has no owner: Personalize offers contact properties only.
    assert '<option value="contact">Contact</option>' in form
    assert '<option value="account">' not in form and 'data-type="sender"' not in form
    assert '"bodyId": "id_body"' in form and "js/composer.js" in form
    # "Send as" says where users get linked to numbers.
    help_text = form.split('id="send-as-help"', 1)[1].split("</small>", 1)[0]
    assert "SMS setup › Numbers" in help_text
