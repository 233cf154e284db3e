"""What a brand's trust score allows a sender: messages per second and the T-Mobile daily cap.

Source (assumption, checked against Twilio's support articles "Message throughput (MPS) and
Trust Scores for A2P 10DLC in the US" and "T-Mobile daily message limits for long code messaging
with A2P 10DLC", and Telnyx's AT&T message-class table, as of 2025):

=============  ==========================  ==========================================
trust score    messages per second         T-Mobile daily cap (SMS segments + MMS)
=============  ==========================  ==========================================
75-100         75  (AT&T 4,500 TPM)        200,000
50-74          40  (AT&T 2,400 TPM)        40,000
25-49          4   (AT&T 240 TPM)          10,000
1-24           4   (AT&T 240 TPM)          2,000
none / 0       1   (unregistered default)  2,000
=============  ==========================  ==========================================

Twilio quotes the MPS per major carrier (AT&T, T-Mobile and Verizon each get 75 at the top
tier, 225 in total). The dispatcher's rate limiter holds one rate per sender without knowing the
recipient's carrier, so we store the per-carrier figure: sending at it never exceeds any
carrier's share, whatever the mix of recipients. The T-Mobile cap is per brand and shared by all
of the brand's numbers; we store it on each number and the dispatcher divides it as it sees fit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Throughput:
    messages_per_second: int
    tmobile_daily_cap: int


# (lowest score of the tier, throughput), best tier first.
TRUST_SCORE_TIERS: tuple[tuple[int, Throughput], ...] = (
    (75, Throughput(75, 200_000)),
    (50, Throughput(40, 40_000)),
    (25, Throughput(4, 10_000)),
    (1, Throughput(4, 2_000)),
)
# Before a brand is approved (or with no score): Twilio's default for unregistered 10DLC.
UNREGISTERED = Throughput(1, 2_000)


def throughput_for(trust_score: int | None) -> Throughput:
    if not trust_score:
        return UNREGISTERED
    for floor, throughput in TRUST_SCORE_TIERS:
        if trust_score >= floor:
            return throughput
    return UNREGISTERED
