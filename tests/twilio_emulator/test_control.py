"""The /_emulator/ endpoints a test or a demo uses to look inside."""

from __future__ import annotations


def test_messages_dump_lists_every_message_oldest_first_with_its_callback(http, subaccount):
    first = http.send(subaccount, To="+12065550101", StatusCallback="http://127.0.0.1:9/s").json()
    http.send(subaccount, To="+12065550102")
    third = http.send(subaccount, To="+12065550101").json()

    everything = http.control("GET", "/messages").json()["messages"]
    to_101 = http.control("GET", "/messages?To=%2B12065550101").json()["messages"]

    assert len(everything) == 3
    assert [m["sid"] for m in to_101] == [first["sid"], third["sid"]]
    assert to_101[0]["status_callback"] == "http://127.0.0.1:9/s"
    assert to_101[1]["status_callback"] is None


def test_stats_count_creates_and_attempts_per_recipient(http, subaccount):
    http.send(subaccount, To="+12065550101", Body="one")
    http.send(subaccount, To="+12065550101", Body="two")
    http.send(subaccount, To="+12065551610")

    stats = http.control("GET", "/stats").json()

    assert stats["creates_by_recipient"] == {"+12065550101": 2}
    assert stats["attempts_by_recipient"] == {"+12065550101": 2, "+12065551610": 1}
    assert stats["duplicates"] == []  # two different texts are not a duplicate send
    assert stats["messages"] == 2


def test_reset_forgets_all_but_the_master_account(http, master, subaccount):
    http.send(subaccount, To="+12065550101")

    assert http.control("POST", "/reset").json() == {"reset": True}

    assert (
        http.get(f"/2010-04-01/Accounts/{subaccount.sid}.json", auth=subaccount).status_code == 401
    )
    assert http.get(f"/2010-04-01/Accounts/{master.sid}.json").status_code == 200
    assert http.control("GET", "/stats").json()["creates_by_recipient"] == {}


def test_unknown_paths_and_methods(http):
    assert http.get("/2010-04-01/Nope.json").status_code == 404
    assert http.session.delete(f"{http.base_url}/_emulator/stats", timeout=5).status_code == 405
