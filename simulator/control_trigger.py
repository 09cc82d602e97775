"""``/_woosim/trigger``: run a business flow on the store (``woosim trigger`` calls it).

``GET`` lists the flows (name, what each does, its options). ``POST`` takes
``{"flow": NAME, ...options}`` and answers what the flow did: its steps, the notes it
wrote, the records it touched and the webhook deliveries it queued (and, when it made
the order it acts on, the same for that under ``prepared``). Bad input is a 400 naming
the field; nothing changes then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from simulator.control import bad_request, json_object, reply
from simulator.flows import FlowInputError, describe, run_flow
from simulator.webhooks.model import topics_fired_by

if TYPE_CHECKING:
    from simulator.app import Simulator


class TriggerRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def _webhooks_for(self, topic: str) -> tuple[int, ...]:
        return self.sim.webhooks.registry.subscriptions().by_topic.get(topic, ())

    async def list_flows(self, request: web.Request) -> web.Response:
        return reply({"flows": describe()})

    async def trigger(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        options = {name: value for name, value in body.items() if name != "flow"}
        try:
            report = run_flow(
                self.sim.store,
                self.sim.bus,
                body.get("flow"),
                options,
                topics_for=topics_fired_by,
                webhooks_for=self._webhooks_for,
            )
        except FlowInputError as error:
            raise bad_request(error.field, error.problem) from None
        return reply({**report.as_json(), "clock": self.sim.clock.state()})


def setup(app: web.Application, sim: Simulator) -> None:
    routes = TriggerRoutes(sim)
    app.router.add_get("/trigger", routes.list_flows)
    app.router.add_post("/trigger", routes.trigger)
