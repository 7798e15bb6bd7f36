"""What an experiment costs, and which quotas it takes, before `pulumi up`.

Prices come from a table; these tests give the command tables with round
numbers (``--prices``), so each printed price can be worked out by hand, and
check the packaged table only for what it must say: its date, and that it
prices the shipped stacks' machines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CPU_CONFIG, ROOT, STACKS_DIR

from flux_minicluster import FluxMiniCluster, SpecError, load_spec
from flux_minicluster.catalog.prices import PRICES_ENV, price_table
from flux_minicluster.cli import main
from flux_minicluster.testing import run_under_mocks, stack_settings

LAMMPS = STACKS_DIR / "Pulumi.lammps-cpu.yaml"


def table(tmp_path: Path, machine: float = 2.0, spot: float | None = 0.5, disk: float = 0.73) -> Path:
    """A table of one machine type in us-central1, and pd-balanced disks at ``disk`` per GiB-month."""
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps(
            {
                "date": "2026-01-02",
                "currency": "USD",
                "machines": {"c2d-standard-112": {"us-central1": [machine, spot]}},
                "disksPerGibMonth": {"pd-balanced": {"us-central1": disk}},
            }
        )
    )
    return path


@pytest.fixture(autouse=True)
def packaged_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from the packaged table (the command sets the variable for --prices)."""
    monkeypatch.delenv(PRICES_ENV, raising=False)


def stack(tmp_path: Path, **pool: Any) -> Path:
    """The lammps-cpu stack with a cluster and project set, and ``pool`` settings."""
    data = {"config": stack_settings(LAMMPS)}
    data["config"]["flux-minicluster:nodePool"].update(pool)
    path = tmp_path / "Pulumi.priced.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_validate_prints_the_pool_s_price_with_its_date_and_what_it_is(tmp_path: Path, capsys) -> None:
    code, out, err = cli(capsys, "validate", str(stack(tmp_path)), "--prices", str(table(tmp_path)))
    assert (code, err) == (0, "")
    # 8 nodes x ($2.00 + 100 GB x $0.73 per GiB-month / 730 h = $0.10) = $16.80.
    assert out[1].startswith("  price: $16.80 per hour: 8 x c2d-standard-112 on demand in us-central1 at $2.0000")
    assert f"{tmp_path / 'prices.json'}, list prices of 2026-01-02 (USD); an estimate" in out[1]


def test_spot_prices_the_spot_rate_and_shows_on_demand_beside_it(tmp_path: Path, capsys) -> None:
    code, out, _ = cli(capsys, "validate", str(stack(tmp_path, spot=True)), "--prices", str(table(tmp_path)))
    assert code == 0
    assert out[1].startswith("  price: $4.80 per hour: 8 x c2d-standard-112 Spot in us-central1 at $0.5000")
    assert out[2] == "  price: $16.80 per hour on demand, for comparison"
    assert "PREEMPTIBLE_CPUS 896 (or C2D_CPUS without it)" in out[3]


def test_a_deadline_prices_the_whole_run_and_says_what_bills_after_it(tmp_path: Path, capsys) -> None:
    data = {"config": stack_settings(LAMMPS)}
    data["config"]["flux-minicluster:miniCluster"]["deadlineSeconds"] = 9000
    path = tmp_path / "Pulumi.deadline.yaml"
    path.write_text(yaml.safe_dump(data))
    _, out, _ = cli(capsys, "validate", str(path), "--prices", str(table(tmp_path)))
    assert out[2].startswith("  run: $42.00 for the 2.5 h the instance may run (deadlineSeconds)")


def test_render_heads_the_stream_with_price_and_quota(tmp_path: Path, capsys) -> None:
    code, out, _ = cli(capsys, "render", str(stack(tmp_path)), "--prices", str(table(tmp_path)))
    assert code == 0
    assert out[0].startswith("# price: $16.80 per hour")
    assert out[1] == (
        "# quota: C2D_CPUS 896, SSD_TOTAL_GB 800, INSTANCES 8 in us-central1; CPUS_ALL_REGIONS 896 in the project"
    )
    assert yaml.safe_load_all("\n".join(out))  # still YAML


def test_diff_shows_the_change_per_hour(tmp_path: Path, capsys) -> None:
    old = stack(tmp_path)
    new = tmp_path / "Pulumi.smaller.yaml"
    text = old.read_text().replace("nodeCount: 8", "nodeCount: 6").replace(" size: 8", " size: 6")
    new.write_text(text.replace("tasks: 448", "tasks: 336"))
    code, out, _ = cli(capsys, "diff", str(new), "--against", str(old), "--summary", "--prices", str(table(tmp_path)))
    assert code == 0
    assert "price: $16.80 -> $12.60 per hour (-$4.20)" in out


def test_the_gpu_stack_takes_h100_quota_and_its_spot_form(tmp_path: Path, capsys) -> None:
    _, out, _ = cli(capsys, "validate", "stacks/Pulumi.h100-gpu.yaml")
    [quota] = [line for line in out if line.startswith("  quota: ")]
    assert "NVIDIA_H100_GPUS 32" in quota and "GPUS_ALL_REGIONS 32 in the project" in quota
    data = {"config": stack_settings(STACKS_DIR / "Pulumi.h100-gpu.yaml")}
    data["config"]["flux-minicluster:nodePool"]["spot"] = True
    path = tmp_path / "Pulumi.spot.yaml"
    path.write_text(yaml.safe_dump(data))
    _, out, _ = cli(capsys, "validate", str(path))
    assert "PREEMPTIBLE_NVIDIA_H100_GPUS 32" in "\n".join(out)


@pytest.mark.parametrize(("limit", "refused"), [(16.80, False), (16.79, True)])
def test_max_hourly_cost_refuses_a_pool_priced_above_it(tmp_path: Path, capsys, limit: float, refused: bool) -> None:
    code, _, err = cli(capsys, "validate", str(stack(tmp_path, maxHourlyCost=limit)), "--prices", str(table(tmp_path)))
    assert code == (2 if refused else 0)
    if refused:
        assert "nodePool.maxHourlyCost: the pool's list price is $16.80 per hour" in err
        assert "above the limit of $16.79" in err


def test_max_hourly_cost_is_refused_when_the_price_is_unknown(tmp_path: Path, capsys) -> None:
    code, _, err = cli(
        capsys, "validate", str(stack(tmp_path, maxHourlyCost=100, zones=["europe-west4-a"], location="europe-west4-a")),
        "--prices", str(table(tmp_path)),
    )  # fmt: skip
    assert code == 2
    assert (
        "nodePool.maxHourlyCost: cannot be checked: the table has no price for c2d-standard-112 in europe-west4" in err
    )


def test_the_component_creates_nothing_above_the_budget() -> None:
    config = json.loads(json.dumps(CPU_CONFIG))
    config["nodePool"]["maxHourlyCost"] = 1.0
    with pytest.raises(SpecError, match=r"nodePool.maxHourlyCost: the pool's list price is \$"):
        load_spec(config)

    def program() -> None:
        with pytest.raises(Exception, match="maxHourlyCost"):
            FluxMiniCluster("lammps", config)

    mocks, _ = run_under_mocks(program)
    assert mocks.resources == []


def test_a_price_table_that_cannot_be_read_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"date": "x"}')
    code, out, err = cli(capsys, "validate", "lammps-cpu", "--prices", str(bad))
    assert (code, out) == (2, [])
    assert err.startswith(f"{bad}: not a price table (") and err.count("\n") == 1


def test_the_packaged_table_is_dated_and_prices_the_shipped_cpu_and_gpu_stacks() -> None:
    packaged = price_table()
    assert packaged.date == "2026-07-30" and packaged.currency == "USD"
    for name in ("lammps-cpu", "h100-gpu", "lammps-results"):
        data = yaml.safe_load((STACKS_DIR / f"Pulumi.{name}.yaml").read_text())["config"]
        spec = load_spec({key.split(":")[1]: value for key, value in data.items() if key.startswith("flux-")})
        assert spec.node_pool is not None and spec.node_pool.price().per_hour, name


def test_the_generator_keeps_the_catalog_s_machines_and_the_source_s_date(tmp_path: Path) -> None:
    source = tmp_path / "pricing.yml"
    source.write_text(
        yaml.safe_dump(
            {
                "about": {"timestamp": 1785391997},
                "compute": {
                    "instance": {
                        "c2d-standard-112": {"cost": {"us-central1": {"hour": 5.084688, "hour_spot": 1.708}}},
                        "z9-unknown-1": {"cost": {"us-central1": {"hour": 1.0}}},
                    },
                    "storage": {key: {"cost": {"us-central1": {"month": 0.1}}} for key in ("hdd", "balanced", "ssd")},
                },
            }
        )
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "price_table.py"), str(source)],
        capture_output=True, text=True, check=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != PRICES_ENV},
    )  # fmt: skip
    written = json.loads(done.stdout)
    assert written["date"] == "2026-07-30"
    assert written["machines"] == {"c2d-standard-112": {"us-central1": [5.084688, 1.708]}}
    assert written["disksPerGibMonth"]["pd-balanced"] == {"us-central1": 0.1}
    path = tmp_path / "mine.json"
    path.write_text(done.stdout)
    assert price_table(str(path)).machines["c2d-standard-112"]["us-central1"] == [5.084688, 1.708]


GCLOUD = """#!/bin/sh
case "$*" in
  "config get-value project") echo my-project ;;
  "compute regions describe us-central1 --project my-project --format=json")
    echo '{"quotas": [{"metric": "C2D_CPUS", "limit": 1000, "usage": 200},
                      {"metric": "SSD_TOTAL_GB", "limit": 500, "usage": 0},
                      {"metric": "INSTANCES", "limit": 100, "usage": 3}]}' ;;
  "compute project-info describe --project my-project --format=json")
    echo '{"quotas": [{"metric": "CPUS_ALL_REGIONS", "limit": 5000, "usage": 0}]}' ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
"""


def test_check_quota_compares_with_the_project_s_free_quota(tmp_path: Path, capsys, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gcloud").write_text(GCLOUD)
    (bin_dir / "gcloud").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    code, out, err = cli(capsys, "validate", "lammps-cpu", "--check-quota")
    assert (code, err) == (2, "")
    checks = [line.strip() for line in out if "quota check" in line]
    assert checks == [
        "quota check (my-project): C2D_CPUS 896: only 800 free of 1,000 in us-central1; request more quota",
        "quota check (my-project): SSD_TOTAL_GB 800: only 500 free of 500 in us-central1; request more quota",
        "quota check (my-project): INSTANCES 8: 97 free of 100 in us-central1",
        "quota check (my-project): CPUS_ALL_REGIONS 896: 5,000 free of 5,000 in the project",
    ]


def test_a_shipped_stack_names_no_cluster_and_says_what_to_set(capsys) -> None:
    code, out, err = cli(capsys, "validate", "lammps-cpu")
    assert (code, err) == (0, "")
    assert out[1:3] == [
        "  warning: gcp:project is <your-gcp-project>, a placeholder: set yours with pulumi config set gcp:project VALUE",
        "  warning: nodePool.cluster is <your-gke-cluster>, a placeholder: set yours with "
        "pulumi config set --path flux-minicluster:nodePool.cluster VALUE",
    ]


def test_pulumi_up_of_a_stack_left_at_its_placeholders_creates_nothing() -> None:
    import pulumi

    from flux_minicluster.component.program import run

    config = yaml.safe_load(LAMMPS.read_text())["config"]

    def program() -> None:
        with pytest.raises(pulumi.RunError) as raised:
            run()
        assert "nodePool.cluster: is <your-gke-cluster>, a placeholder" in str(raised.value)
        assert "gcp:project: is <your-gcp-project>, a placeholder" in str(raised.value)

    mocks, _ = run_under_mocks(program, config)
    assert mocks.resources == []
    # Set, it is created.
    mocks, _ = run_under_mocks(run, stack_settings(LAMMPS))
    assert mocks.by_type("gcp:container/nodePool:NodePool")


def test_the_component_refuses_a_placeholder_cluster() -> None:
    config = json.loads(json.dumps(CPU_CONFIG))
    config["nodePool"]["cluster"] = "<your-gke-cluster>"

    def program() -> None:
        with pytest.raises(SpecError, match=r"nodePool\.cluster: is <your-gke-cluster>, a placeholder"):
            FluxMiniCluster("lammps", config)

    mocks, _ = run_under_mocks(program)
    assert mocks.resources == []


def test_the_readme_example_is_what_validate_prints(capsys) -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("$ flux-minicluster validate lammps-cpu\n")
    shown = readme[start : readme.index("```", start)].split("\n", 1)[1]
    code, out, _ = cli(capsys, "validate", "lammps-cpu")
    assert code == 0 and "\n".join(out) + "\n" == shown
