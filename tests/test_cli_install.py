"""The light install: the command line needs no Pulumi package; the extras add them."""

from __future__ import annotations

import re
import tomllib

from conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def test_base_install_has_no_pulumi_package() -> None:
    assert not {name for name in names(PROJECT["dependencies"]) if name.startswith("pulumi")}


def test_pulumi_extra_has_the_sdk_and_the_providers_the_component_uses() -> None:
    assert names(PROJECT["optional-dependencies"]["pulumi"]) == {"pulumi", "pulumi-kubernetes", "pulumi-random"}


def test_gke_extra_adds_pulumi_gcp_to_the_pulumi_extra() -> None:
    gke = PROJECT["optional-dependencies"]["gke"]
    assert "flux-minicluster[pulumi]" in gke
    assert "pulumi-gcp" in names(gke)


def test_test_extra_installs_everything() -> None:
    assert "flux-minicluster[gke]" in PROJECT["optional-dependencies"]["test"]


def test_pulumi_project_installs_what_pulumi_up_needs() -> None:
    lines = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line.strip()]
    assert lines == ["-e .[gke]"]
