"""Write the package's price table from a public dataset of Google's list prices.

Source: ``pricing.yml`` of github.com/Cyclenerd/google-cloud-pricing-cost-calculator
(Apache-2.0), rebuilt every week from Google's Cloud Billing Catalog API. It
gives each machine type's price per hour in each region, on demand and as
Spot VMs (the GPUs of A2, A3 and G2 machines included, their bundled Local
SSD too), and persistent disk prices per GiB-month. It has no prices for
GPUs attached to N1 machines, nor for machine types added after it was built;
the table says nothing of those, and the command says so.

    python tools/price_table.py pricing.yml > flux_minicluster/catalog/prices.json

Only the machine types the package's catalog knows are kept. Give your own
table in the same form (negotiated prices) with ``--prices`` or
``FLUX_MINICLUSTER_PRICES``.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flux_minicluster.catalog.machines import MACHINE_TYPES

SOURCE = "https://github.com/Cyclenerd/google-cloud-pricing-cost-calculator (pricing.yml, Apache-2.0)"
#: Boot disk types and their names in the source.
DISKS = {"pd-standard": "hdd", "pd-balanced": "balanced", "pd-ssd": "ssd"}


def _price(value: object) -> float | None:
    return round(float(value), 6) if isinstance(value, int | float) else None


def table(pricing: dict) -> dict:
    generated = datetime.fromtimestamp(int(pricing["about"]["timestamp"]), UTC).date().isoformat()
    machines = {}
    instances = pricing["compute"]["instance"]
    for name in sorted(MACHINE_TYPES):
        if name not in instances:
            continue
        costs = instances[name].get("cost", {})
        machines[name] = {
            region: [_price(cost.get("hour")), _price(cost.get("hour_spot"))] for region, cost in sorted(costs.items())
        }
    storage = pricing["compute"]["storage"]
    disks = {
        disk: {region: _price(cost.get("month")) for region, cost in sorted(storage[key]["cost"].items())}
        for disk, key in DISKS.items()
    }
    return {
        "source": SOURCE,
        "date": generated,
        "currency": "USD",
        "machines": machines,
        "disksPerGibMonth": disks,
    }


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as file:
        pricing = yaml.load(file, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    sys.stdout.write(dumps(table(pricing)))
    return 0


def dumps(prices: dict) -> str:
    """JSON with one machine type (or disk type) per line: a new table reads as a diff of prices."""

    def compact(value: object) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))

    lines = ["{"]
    for key in sorted(prices):
        value = prices[key]
        if isinstance(value, dict):
            inner = [f"    {json.dumps(name)}: {compact(item)}" for name, item in sorted(value.items())]
            lines.append(f"  {json.dumps(key)}: {{\n" + ",\n".join(inner) + "\n  },")
        else:
            lines.append(f"  {json.dumps(key)}: {compact(value)},")
    lines[-1] = lines[-1].rstrip(",")
    return "\n".join(lines) + "\n}\n"


if __name__ == "__main__":
    sys.exit(main())
