"""The terminals of a city hall at 8:30, for locust: counter clerks, section staff and a manager.

Each simulated terminal logs in once (a bearer token, as a tablet holds it) and then works with a think time:
a clerk searches the common DB, opens a household and runs a whole 証明書 or 転入 visit through the API (the same
calls the counter pages make), section staff refresh their inbox every few seconds and complete what is there,
and the manager reads the dashboard page. Run by ``bench/load.py``; locust's names group the URLs per endpoint.
"""

from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, task

from bench.answers import answers, signature_png, tick_one

PASSWORD = os.environ.get("MADOGUCHI_DEMO_PASSWORD", "demo")
THINK = float(os.environ.get("LOAD_THINK_SECONDS", "3"))
SECTIONS = ["shimin", "hoken", "kodomo", "gakko", "kourei", "zeimu"]
SEARCHES = ["タ", "サ", "ヤマ", "スズ", "イ", "カ", "ナカ", "コ"]


class Terminal(HttpUser):
    abstract = True
    wait_time = between(THINK * 0.5, THINK * 1.5)
    username = "counter"

    def on_start(self) -> None:
        response = self.client.post("/api/v1/auth/token", json={"username": self.username, "password": PASSWORD},
                                    name="POST /auth/token")
        self.client.headers["Authorization"] = f"Bearer {response.json()['token']}"


class CounterClerk(Terminal):
    """総合窓口: search, open the household, run a visit to its hand-over."""

    weight = 4

    @task(3)
    def search(self) -> None:
        hits = self.client.get("/api/v1/residents", params={"q": random.choice(SEARCHES), "limit": 20},
                               name="GET /residents?q").json()
        if hits:
            self.client.get(f"/api/v1/residents/{random.choice(hits)['id']}", name="GET /residents/{id}")

    @task(1)
    def visit(self) -> None:
        hits = self.client.get("/api/v1/residents", params={"q": random.choice(SEARCHES), "limit": 20},
                               name="GET /residents?q").json()
        candidates = [h for h in hits if not h.get("protection")]
        if not candidates:
            return
        resident = random.choice(candidates)
        events = ["shomei"] if random.random() < 0.6 else ["tennyu"]
        body = {"process_key": "journey_shomei" if events == ["shomei"] else "journey_tennyu",
                "resident_id": resident["id"], "members": [resident["id"]], "events": events}
        with self.client.post("/api/v1/cases", json=body, name="POST /cases (visit)", catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code} {r.text[:200]}")
                return
            case = r.json()
        for interview in [t for t in case["tasks"] if t["state"] == "ready"]:
            asked = self.client.get(f"/api/v1/tasks/{interview['id']}/questions",
                                    name="GET /tasks/{id}/questions").json()
            data = tick_one(answers(asked["fields"]), asked["at_least_one"])
            self.client.post(f"/api/v1/tasks/{interview['id']}/complete", json={"data": data},
                             name="POST /tasks/{id}/complete (interview)")
        case_id = case["id"]
        self.client.get(f"/api/v1/cases/{case_id}/procedures", name="GET /cases/{id}/procedures")
        if self.client.get(f"/api/v1/cases/{case_id}", name="GET /cases/{id}").json()["state"] != "running":
            return  # a certificate handed over at the counter itself: nothing to print for the sections
        questions = self.client.get(f"/api/v1/cases/{case_id}/form-questions",
                                    name="GET /cases/{id}/form-questions").json()
        given = answers(questions, key="key")
        members = given.pop("members", {})
        with self.client.put(f"/api/v1/cases/{case_id}/form-answers", json={"answers": given, "members": members},
                             name="PUT /cases/{id}/form-answers", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} {r.text[:300]}")
        self.client.post(f"/api/v1/cases/{case_id}/documents", name="POST /cases/{id}/documents")
        self.client.post(f"/api/v1/cases/{case_id}/signature", json={"png_base64": signature_png()},
                         name="POST /cases/{id}/signature")
        self.client.post(f"/api/v1/cases/{case_id}/hand-over", name="POST /cases/{id}/hand-over")
        self.wait()  # the clerk tells the resident what comes next, then prints the guide for them
        self.client.get(f"/api/v1/cases/{case_id}/guide", name="GET /cases/{id}/guide (print)")


class SectionStaff(Terminal):
    """A section's inbox, refreshed every few seconds; its tasks completed as they come."""

    weight = 5

    def on_start(self) -> None:
        self.username = random.choice(SECTIONS)
        super().on_start()

    @task(4)
    def inbox(self) -> None:
        self.client.get("/api/v1/tasks", params={"section": self.username, "state": "ready"},
                        name="GET /tasks (inbox)")

    @task(1)
    def complete(self) -> None:
        ready = self.client.get("/api/v1/tasks", params={"section": self.username, "state": "ready"},
                                name="GET /tasks (inbox)").json()
        if not ready:
            return
        mine = random.choice(ready)
        fields = self.client.get(f"/api/v1/tasks/{mine['id']}/questions",
                                 name="GET /tasks/{id}/questions").json()["fields"]
        with self.client.post(f"/api/v1/tasks/{mine['id']}/complete", json={"data": answers(fields)},
                              name="POST /tasks/{id}/complete", catch_response=True) as r:
            if r.status_code == 409:  # a colleague completed it first: the contract's answer, not an error
                r.success()


class Manager(Terminal):
    """管理者ビュー: the dashboard page (a browser session) and the running cases."""

    weight = 1
    username = "manager"

    def on_start(self) -> None:
        page = self.client.get("/login", name="GET /login").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        self.client.post("/login", data={"username": self.username, "password": PASSWORD,
                                         "csrf_token": token.group(1) if token else ""}, name="POST /login",
                        allow_redirects=False)  # the dashboard it leads to is a request of its own, measured below

    @task
    def dashboard(self) -> None:
        self.client.get("/manager/", name="GET /manager/ (page)")
