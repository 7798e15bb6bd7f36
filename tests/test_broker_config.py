"""The broker config: generated with a TOML library, checked like a broker would."""

from __future__ import annotations

import tomllib

import pytest

from flux_minicluster.broker import fluxfacts
from flux_minicluster.broker.config import (
    broker_config,
    broker_config_text,
    check_broker_config,
    shell_expanded_characters,
)

CERT = fluxfacts.CERT_PATH


def _config(max_size: int = 4) -> dict:
    return broker_config(name="lammps", headless_name="ranks", max_size=max_size, queue_policy="fcfs", cert_path=CERT)


def test_generated_config_parses_back_to_the_same_structure() -> None:
    config = _config()
    assert tomllib.loads(broker_config_text(config)) == config


def test_bootstrap_follows_the_operator_layout() -> None:
    bootstrap = _config(4)["bootstrap"]
    assert bootstrap["hosts"] == [{"host": "lammps-[0-3]"}]
    assert bootstrap["default_port"] == 8050
    assert bootstrap["default_bind"] == "tcp://eth0:%p"
    # Completed by the pod's DNS search path (NAMESPACE.svc.DOMAIN first), whatever the domain.
    assert bootstrap["default_connect"] == "tcp://%h.ranks:%p"
    assert bootstrap["curve_cert"] == CERT


def test_single_broker_hostlist() -> None:
    assert _config(1)["bootstrap"]["hosts"] == [{"host": "lammps-[0]"}]


def test_generated_config_passes_its_own_check() -> None:
    assert check_broker_config(broker_config_text(_config(4)), name="lammps", max_size=4, cert_path=CERT) == []


def test_hosts_must_cover_max_size() -> None:
    text = broker_config_text(_config(2))
    (problem,) = check_broker_config(text, name="lammps", max_size=4, cert_path=CERT)
    assert "maxSize=4" in problem and "lammps-[2-3]" in problem


def test_hosts_must_start_with_the_lead_broker() -> None:
    config = _config(2)
    config["bootstrap"]["hosts"] = [{"host": "lammps-1"}, {"host": "lammps-0"}]
    problems = check_broker_config(broker_config_text(config), name="lammps", max_size=2, cert_path=CERT)
    assert any("lead broker lammps-0" in p for p in problems)


@pytest.mark.parametrize("port", [-1, 70000, 8050.5, True])
def test_port_must_be_an_integer_in_range(port: object) -> None:
    config = _config(2)
    config["bootstrap"]["default_port"] = port
    problems = check_broker_config(broker_config_text(config), name="lammps", max_size=2, cert_path=CERT)
    assert any("default_port" in p for p in problems)


def test_unterminated_array_at_end_is_rejected() -> None:
    # A broker given this spins at 100% CPU instead of failing (FACTS.md section 8).
    text = broker_config_text(_config(2)) + 'extra = [ "a",\n'
    (problem,) = check_broker_config(text, name="lammps", max_size=2, cert_path=CERT)
    assert "not valid TOML" in problem


def test_certificate_path_must_be_where_ranks_install_it() -> None:
    config = _config(2)
    config["bootstrap"]["curve_cert"] = "/mnt/flux/config/curve/curve.cert"
    problems = check_broker_config(broker_config_text(config), name="lammps", max_size=2, cert_path=CERT)
    assert any(CERT in p for p in problems)


@pytest.mark.parametrize("char", ["$", "`", "\\"])
def test_operator_heredoc_would_expand_shell_characters(char: str) -> None:
    (problem,) = shell_expanded_characters(f'[bootstrap]\ndefault_bind = "tcp://eth0:{char}p"\n')
    assert repr(char) in problem and "heredoc" in problem


def test_plain_broker_config_passes_the_heredoc_check() -> None:
    assert shell_expanded_characters(broker_config_text(_config(4))) == []
