from support import login, take


def test_issue_call_serve_complete(client):
    r = take(client, {"category": "A"})
    assert r.status_code == 201
    assert r.json()["number"] == "A001"
    h = login(client, "10001")
    assert client.post("/api/windows/1/sign-in", json={"role": "A"}, headers=h).status_code == 200
    r = client.post("/api/windows/1/call-next", headers=h)
    assert r.json()["called"]["number"] == "A001"
