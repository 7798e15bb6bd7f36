"""Every numeric and set rule of the spec, at its limit and one step past it.

Each row starts from one small valid stack (``conftest.CPU_CONFIG``: a
c2d-standard-112 pool of 4 nodes in us-central1-a, 4 brokers), changes what
the row names, and checks that the value at the documented limit is accepted
and the one just past it is refused with a problem at the field, in stack
spelling. The limits are taken from the documents cited beside each table,
never from the package's own constants.
"""

from __future__ import annotations

import copy
import math
from fractions import Fraction
from typing import Any

import pytest
from conftest import CPU_CONFIG

from flux_minicluster import SpecError, load_spec
from flux_minicluster.broker.certificate import certificate_text
from flux_minicluster.catalog import allocatable, locations, machines, quantities

Changes = dict[str, Any]
REMOVED = object()
GIB = 2**30
MIB = 2**20


def changed(changes: Changes) -> dict[str, Any]:
    """The valid base stack with ``changes`` applied; keys are dotted paths
    (``nodePool.name``, ``miniCluster.containers.0.image``); ``REMOVED``
    takes the key out."""
    config = copy.deepcopy(CPU_CONFIG)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node: Any = config
        for part in parents:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        if value is REMOVED:
            node.pop(last, None)
        else:
            node[last] = value
    return config


def problems(config: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(SpecError) as caught:
        load_spec(config)
    return {p.path: p.message for p in caught.value.problems}


def assert_boundary(field: str, at_limit: Changes, past_limit: Changes) -> None:
    load_spec(changed(at_limit))  # raises (and fails the test) if refused
    found = problems(changed(past_limit))
    assert any(path == field or path.startswith(field + ".") for path in found), found


def row(field: str, at_limit: Changes, past_limit: Changes, id: str) -> Any:
    return pytest.param(field, at_limit, past_limit, id=id)


def name_of(length: int, first: str = "a") -> str:
    return first + "b" * (length - 1)


def packed(size: int, nodes: int) -> Changes:
    """More brokers than nodes: ``size`` brokers over ``nodes`` nodes."""
    return {"miniCluster.size": size, "nodePool.nodeCount": nodes, "miniCluster.allowPacking": True}


# --- Names and labels -------------------------------------------------------
# Kubernetes "Object Names and IDs": DNS-1123 labels are at most 63 characters
# of lowercase letters, digits and '-', starting and ending alphanumeric;
# Service names are DNS-1035 labels (they start with a letter). Pod hostnames
# are NAME-INDEX (Indexed Job, FACTS.md section 1), so the last broker's
# hostname NAME-(maxSize-1) must itself be a label of at most 63 characters.
# Label keys: an optional DNS-subdomain prefix (at most 253) and a name of at
# most 63; label values at most 63 ("Labels and Selectors", syntax and
# character set).
NAMES = [
    row("miniCluster.name", {"miniCluster.name": name_of(61)}, {"miniCluster.name": name_of(62)}, "hostname-63-size-4"),
    row(
        "miniCluster.name",
        {"miniCluster.name": name_of(60), "miniCluster.maxSize": 11},
        {"miniCluster.name": name_of(61), "miniCluster.maxSize": 11},
        "hostname-63-two-digit-rank",
    ),
    row(
        "miniCluster.name",
        {"miniCluster.name": name_of(61), "miniCluster.maxSize": 10},
        {"miniCluster.name": name_of(61), "miniCluster.maxSize": 11},
        "hostname-63-by-max-size",
    ),
    row(
        "miniCluster.namespace", {"miniCluster.namespace": name_of(63)}, {"miniCluster.namespace": name_of(64)}, "ns-63"
    ),
    row(
        "miniCluster.namespace",
        {"miniCluster.namespace": "a-1"},
        {"miniCluster.namespace": "a-"},
        "ns-ends-alphanumeric",
    ),
    row("miniCluster.namespace", {"miniCluster.namespace": "ab"}, {"miniCluster.namespace": "aB"}, "ns-lowercase"),
    row(
        "miniCluster.headlessName",
        {"miniCluster.headlessName": name_of(63)},
        {"miniCluster.headlessName": name_of(64)},
        "headless-63",
    ),
    row(
        "miniCluster.headlessName",
        {"miniCluster.headlessName": "a1"},
        {"miniCluster.headlessName": "1a"},
        "headless-dns-1035-letter-first",
    ),
    row(
        "miniCluster.name",
        {"miniCluster.name": "1abc", "miniCluster.headlessName": "svc"},
        {"miniCluster.name": "1abc"},
        "service-named-after-name-starts-with-letter",
    ),
    row(
        "miniCluster.containers[0].name",
        {"miniCluster.containers.0.name": name_of(63)},
        {"miniCluster.containers.0.name": name_of(64)},
        "container-name-63",
    ),
    row(
        "miniCluster.containers[0].volumes",
        {"miniCluster.containers.0.volumes": {name_of(63): {"path": "/x", "emptyDir": True}}},
        {"miniCluster.containers.0.volumes": {name_of(64): {"path": "/x", "emptyDir": True}}},
        "volume-name-63",
    ),
    row(
        "miniCluster.pod.serviceAccountName",
        {"miniCluster.pod.serviceAccountName": name_of(63)},
        {"miniCluster.pod.serviceAccountName": name_of(64)},
        "service-account-name-63",
    ),
]

LABEL_FIELDS = ("miniCluster.pod.labels", "miniCluster.jobLabels", "nodePool.labels")
LABELS = [
    row(field, {field: at}, {field: past}, f"{field}-{what}")
    for field in LABEL_FIELDS
    for what, at, past in (
        ("key-name-63", {name_of(63): "v"}, {name_of(64): "v"}),
        ("value-63", {"k": name_of(63)}, {"k": name_of(64)}),
        ("value-empty-ok-but-not-dash-end", {"k": ""}, {"k": "v-"}),
        (
            "prefix-253",
            {".".join([name_of(63)] * 3) + "." + name_of(61) + "/k": "v"},
            {".".join([name_of(63)] * 3) + "." + name_of(62) + "/k": "v"},
        ),
        ("prefix-lowercase", {"example.com/k": "v"}, {"Example.com/k": "v"}),
        ("empty-name", {"example.com/k": "v"}, {"example.com/": "v"}),
    )
]


@pytest.mark.parametrize(("field", "at_limit", "past_limit"), NAMES + LABELS)
def test_names_and_labels_at_their_limit(field: str, at_limit: Changes, past_limit: Changes) -> None:
    assert_boundary(field, at_limit, past_limit)


def test_label_prefix_of_253_characters_is_what_the_row_says() -> None:
    prefix = ".".join([name_of(63)] * 3) + "." + name_of(61)
    assert len(prefix) == 253


def test_hostname_limit_counts_the_last_rank() -> None:
    # The last broker's hostname, not the name alone, is the label that must fit.
    assert len(name_of(61) + "-3") == 63 and len(name_of(60) + "-10") == 63


# --- MiniCluster counts, formats and sets -----------------------------------
# Sizes: brokers are pods of an Indexed Job (completions >= 1), broker.quorum
# (minSize) is at least 1 and at most size, and the hostlist covers maxSize
# (FACTS.md section 2). activeDeadlineSeconds must be positive (Kubernetes Job
# API). Log levels are syslog levels 0-7 (flux-broker-attributes(7),
# log-stderr-level). Durations as FSD strings (Flux RFC 23: a number and
# ms, s, m or h). tbon.topo: kary:K, binomial, mincrit[:K]
# (flux-broker-attributes(7)).
COUNTS = [
    row("miniCluster.size", {"miniCluster.size": 1}, {"miniCluster.size": 0}, "size-at-least-1"),
    row("miniCluster.maxSize", {"miniCluster.maxSize": 4}, {"miniCluster.maxSize": 0}, "max-size-at-least-1"),
    row("miniCluster.minSize", {"miniCluster.minSize": 1}, {"miniCluster.minSize": 0}, "min-size-at-least-1"),
    row("miniCluster.size", {"miniCluster.minSize": 4}, {"miniCluster.minSize": 5}, "min-size-at-most-size"),
    row("miniCluster.size", {"miniCluster.maxSize": 4}, {"miniCluster.maxSize": 3}, "size-at-most-max-size"),
    row(
        "miniCluster.size",
        {"miniCluster.size": 3, "miniCluster.minSize": 3, "miniCluster.maxSize": 3},
        {"miniCluster.size": 2, "miniCluster.minSize": 3, "miniCluster.maxSize": 3},
        "size-at-least-min-size",
    ),
    row("miniCluster.tasks", {"miniCluster.tasks": 1}, {"miniCluster.tasks": 0}, "tasks-at-least-1"),
    row(
        "miniCluster.readyTimeoutMinutes",
        {"miniCluster.readyTimeoutMinutes": 1},
        {"miniCluster.readyTimeoutMinutes": 0},
        "ready-timeout-at-least-1",
    ),
    row(
        "miniCluster.deadlineSeconds",
        {"miniCluster.deadlineSeconds": 1},
        {"miniCluster.deadlineSeconds": 0},
        "deadline-positive",
    ),
    row("miniCluster.flux.logLevel", {"miniCluster.flux.logLevel": 7}, {"miniCluster.flux.logLevel": 8}, "log-7"),
    row("miniCluster.flux.logLevel", {"miniCluster.flux.logLevel": 0}, {"miniCluster.flux.logLevel": -1}, "log-0"),
    row(
        "miniCluster.flux.connectTimeout",
        {"miniCluster.flux.connectTimeout": "500ms"},
        {"miniCluster.flux.connectTimeout": "500"},
        "duration-needs-unit",
    ),
    row(
        "miniCluster.flux.connectTimeout",
        {"miniCluster.flux.connectTimeout": "2h"},
        {"miniCluster.flux.connectTimeout": "2d"},
        "duration-units",
    ),
    row(
        "miniCluster.flux.topology",
        {"miniCluster.flux.topology": "kary:2"},
        {"miniCluster.flux.topology": "kary:"},
        "kary-needs-k",
    ),
    row(
        "miniCluster.flux.topology",
        {"miniCluster.flux.topology": "mincrit:4"},
        {"miniCluster.flux.topology": "binomial:4"},
        "binomial-takes-no-k",
    ),
    row(
        "miniCluster.flux.queuePolicy",
        {"miniCluster.flux.queuePolicy": "hybrid"},
        {"miniCluster.flux.queuePolicy": "lifo"},
        "queue-policies",
    ),
    row("miniCluster.backend", {"miniCluster.backend": "operator"}, {"miniCluster.backend": "helm"}, "backends"),
    # Kubernetes "Namespaces": kube- is reserved for Kubernetes itself;
    # default and operator-system are shared (FACTS.md section 1: the operator
    # lists every pod of its namespace).
    row("miniCluster.namespace", {"miniCluster.namespace": "kube"}, {"miniCluster.namespace": "kube-x"}, "kube-prefix"),
    row(
        "miniCluster.namespace",
        {"miniCluster.namespace": "defaults"},
        {"miniCluster.namespace": "default"},
        "default-namespace",
    ),
    row(
        "miniCluster.namespace",
        {"miniCluster.namespace": "operator-system2"},
        {"miniCluster.namespace": "operator-system"},
        "operator-namespace",
    ),
    row(
        "miniCluster.namespace",
        {"miniCluster.namespace": "node-lease"},
        {"miniCluster.namespace": "kube-node-lease"},
        "kube-node-lease",
    ),
    row("operator.image", {"operator.image": "x"}, {"operator.image": ""}, "operator-image-non-empty"),
    row(
        "miniCluster.containers[0].image",
        {"miniCluster.containers.0.image": "x"},
        {"miniCluster.containers.0.image": ""},
        "container-image-non-empty",
    ),
    # An Indexed Job runs at most 100,000 pods (kubernetes pkg/apis/batch/validation:
    # completions and parallelism, maxParallelismForIndexedJob).
    row(
        "miniCluster.maxSize",
        {"miniCluster.maxSize": 100_000},
        {"miniCluster.maxSize": 100_001},
        "indexed-job-pods",
    ),
    # Kubernetes' counts are int32 (activeDeadlineSeconds is int64, but Pulumi
    # carries numbers as doubles: every count is held to 32 bits).
    row(
        "miniCluster.deadlineSeconds",
        {"miniCluster.deadlineSeconds": 2**31 - 1},
        {"miniCluster.deadlineSeconds": 2**31},
        "deadline-int32",
    ),
    row(
        "miniCluster.pod.terminationGracePeriodSeconds",
        {"miniCluster.pod.terminationGracePeriodSeconds": 2**31 - 1},
        {"miniCluster.pod.terminationGracePeriodSeconds": 2**31},
        "grace-int32",
    ),
    row("nodePool.diskSizeGb", {"nodePool.diskSizeGb": 2**31 - 1}, {"nodePool.diskSizeGb": 2**31}, "disk-int32"),
    # Image references by the distribution reference grammar (containerd and
    # the kubelet parse it): a lower-case path, ASCII, no whitespace; the
    # host may have upper case and a port, the tag up to 128 characters.
    row(
        "miniCluster.containers[0].image",
        {"miniCluster.containers.0.image": "Registry.Example:5000/org/app:" + "T" * 128},
        {"miniCluster.containers.0.image": "registry.example:5000/Org/app:1"},
        "image-path-lower-case",
    ),
    row(
        "miniCluster.containers[0].image",
        {"miniCluster.containers.0.image": "app:" + "t" * 128},
        {"miniCluster.containers.0.image": "app:" + "t" * 129},
        "image-tag-128",
    ),
    row(
        "miniCluster.containers[0].image",
        {"miniCluster.containers.0.image": "app@sha256:" + "0" * 64},
        {"miniCluster.containers.0.image": "app@sha256:" + "0" * 31},
        "image-digest",
    ),
    row(
        "miniCluster.containers[0].image",
        {"miniCluster.containers.0.image": "a/" * 126 + "abc"},
        {"miniCluster.containers.0.image": "a/" * 127 + "ab"},
        "image-name-255",
    ),
    row(
        "miniCluster.flux.viewImage",
        {"miniCluster.flux.viewImage": "ghcr.io/converged-computing/flux-view-ubuntu:tag-noble"},
        {"miniCluster.flux.viewImage": "ghcr.io/converged-computing/flux-view-ubuntu:tag-noble\n"},
        "view-image-trailing-newline",
    ),
    row("operator.image", {"operator.image": "ghcr.io/o/p:v1"}, {"operator.image": "ghcr.io/o/p:v1 "}, "op-image"),
    row(
        "operator.install",
        {"operator.install": True, "miniCluster.backend": "operator"},
        {"operator.install": True},
        "operator-install-needs-operator-backend",
    ),
]


@pytest.mark.parametrize(("field", "at_limit", "past_limit"), COUNTS)
def test_minicluster_counts_and_formats_at_their_limit(field: str, at_limit: Changes, past_limit: Changes) -> None:
    assert_boundary(field, at_limit, past_limit)


# --- Containers and volumes -------------------------------------------------
# A Kubernetes volume has exactly one source (core/v1 Volume: "exactly one of
# ... must be specified"); mount paths are absolute; the Flux tree is mounted
# at /mnt/flux and the operator's files at /flux_operator (FACTS.md sections
# 0 and 1): a user mount there or below would hide them, a sibling such as
# /mnt/fluxdata would not.
FLUX = "miniCluster.containers.0"
SIDECAR = {"name": "side", "image": "busybox"}
CONTAINERS = [
    row(
        "miniCluster.containers",
        {"miniCluster.containers": [{"image": "a", "runFlux": True}, SIDECAR]},
        {"miniCluster.containers": [{"image": "a", "runFlux": True}, {**SIDECAR, "runFlux": True}]},
        "one-flux-container-not-two",
    ),
    row(
        "miniCluster.containers",
        {"miniCluster.containers": [{"image": "a", "runFlux": True}]},
        {"miniCluster.containers": [{"image": "a", "runFlux": False}]},
        "one-flux-container-not-none",
    ),
    row(
        "miniCluster.containers",
        {"miniCluster.containers": [{"image": "a"}]},
        {"miniCluster.containers": []},
        "at-least-one-container",
    ),
    row(
        "miniCluster.containers[1].name",
        {"miniCluster.containers": [{"image": "a", "runFlux": True}, SIDECAR]},
        {"miniCluster.containers": [{"image": "a", "runFlux": True}, {"image": "busybox"}]},
        "sidecar-needs-name",
    ),
    row(
        "miniCluster.containers[1].name",
        {"miniCluster.containers": [{"image": "a", "runFlux": True}, SIDECAR]},
        {"miniCluster.containers": [{"image": "a", "runFlux": True}, {**SIDECAR, "name": "lammps"}]},
        "container-names-unique",
    ),
    row(
        "miniCluster.containers[0].workingDir",
        {f"{FLUX}.workingDir": "/w"},
        {f"{FLUX}.workingDir": "w"},
        "working-dir-absolute",
    ),
    row(
        "miniCluster.containers[0].volumes.v.path",
        {f"{FLUX}.volumes": {"v": {"path": "/data", "emptyDir": True}}},
        {f"{FLUX}.volumes": {"v": {"path": "data", "emptyDir": True}}},
        "mount-path-absolute",
    ),
    *(
        row(
            "miniCluster.containers[0].volumes.v",
            {f"{FLUX}.volumes": {"v": {"path": "/data", **one}}},
            {f"{FLUX}.volumes": {"v": {"path": "/data", **one, **other}}},
            f"volume-two-sources-{'-'.join(one)}-{'-'.join(other)}",
        )
        for one, other in (
            ({"emptyDir": True}, {"secretName": "s"}),
            ({"secretName": "s"}, {"configMapName": "c"}),
            ({"configMapName": "c"}, {"claimName": "k"}),
            ({"claimName": "k"}, {"emptyDir": True}),
        )
    ),
    row(
        "miniCluster.containers[0].volumes.v",
        {f"{FLUX}.volumes": {"v": {"path": "/data", "emptyDir": True}}},
        {f"{FLUX}.volumes": {"v": {"path": "/data"}}},
        "volume-no-source",
    ),
    row(
        "miniCluster.containers[0].volumes.v",
        {f"{FLUX}.volumes": {"v": {"path": "/data", "secretName": "s"}}},
        {f"{FLUX}.volumes": {"v": {"path": "/data", "secretName": "s", "emptyDir": True}}},
        "empty-dir-true-counts-as-source",
    ),
    *(
        row(
            "miniCluster.containers[0].volumes.v.path",
            {f"{FLUX}.volumes": {"v": {"path": reserved + "x", "emptyDir": True}}},
            {f"{FLUX}.volumes": {"v": {"path": reserved + suffix, "emptyDir": True}}},
            f"reserved-mount-{reserved}{suffix}",
        )
        for reserved in ("/mnt/flux", "/flux_operator", "/flux_minicluster")
        for suffix in ("", "/sub")
    ),
    row(
        "miniCluster.containers[1].volumes.v",
        {
            "miniCluster.containers": [
                {"image": "a", "runFlux": True, "volumes": {"v": {"path": "/d", "emptyDir": True}}},
                {**SIDECAR, "volumes": {"v": {"path": "/d", "emptyDir": True}}},
            ]
        },
        {
            "miniCluster.containers": [
                {"image": "a", "runFlux": True, "volumes": {"v": {"path": "/d", "emptyDir": True}}},
                {**SIDECAR, "volumes": {"v": {"path": "/d", "secretName": "s"}}},
            ]
        },
        "one-volume-name-one-volume",
    ),
    # Kubernetes "Resource Management for Pods and Containers": quantities as
    # a number and a suffix; extended resources cannot be overcommitted, so a
    # request needs an equal limit.
    row(
        "miniCluster.containers[0].resources.requests.memory",
        {f"{FLUX}.resources": {"requests": {"memory": "16Gi"}}},
        {f"{FLUX}.resources": {"requests": {"memory": "16GiB"}}},
        "quantity-suffix",
    ),
    row(
        "miniCluster.containers[0].resources.requests.cpu",
        {f"{FLUX}.resources": {"requests": {"cpu": ".5"}}},
        {f"{FLUX}.resources": {"requests": {"cpu": "."}}},
        "quantity-number",
    ),
    row(
        "miniCluster.containers[0].resources.requests.example.com/fpga",
        {f"{FLUX}.resources": {"requests": {"example.com/fpga": 2}, "limits": {"example.com/fpga": "2"}}},
        {f"{FLUX}.resources": {"requests": {"example.com/fpga": 2}, "limits": {"example.com/fpga": 3}}},
        "extended-request-equals-limit",
    ),
    row(
        "miniCluster.containers[0].resources.requests.example.com/fpga",
        {f"{FLUX}.resources": {"requests": {"example.com/fpga": 1}, "limits": {"example.com/fpga": 1}}},
        {f"{FLUX}.resources": {"requests": {"example.com/fpga": 1}}},
        "extended-request-needs-limit",
    ),
]


@pytest.mark.parametrize(("field", "at_limit", "past_limit"), CONTAINERS)
def test_containers_and_volumes_at_their_limit(field: str, at_limit: Changes, past_limit: Changes) -> None:
    assert_boundary(field, at_limit, past_limit)


# --- Data volumes -----------------------------------------------------------
# GKE "Persistent volumes and dynamic provisioning": persistent disks
# (standard-rwo, premium-rwo, standard) attach to one node, never
# ReadWriteMany. GKE "Access Filestore instances with the Filestore CSI
# driver": Basic HDD (standard-rwx), Enterprise and Zonal from 1 TiB, Basic SSD
# (premium-rwx) from 2.5 TiB. Kubernetes "Persistent Volumes", access modes:
# ReadWriteOnce is one node, ReadWriteOncePod one pod.
def mounting(claim: str) -> Changes:
    return {f"{FLUX}.volumes": {"out": {"path": "/results", "claimName": claim}}}


MOUNTED = mounting("results")


def data_volume(**fields: Any) -> Changes:
    return {**MOUNTED, "miniCluster.dataVolumes": {"results": fields}}


DATA_VOLUMES = [
    *(
        row(
            "miniCluster.dataVolumes.results.size",
            data_volume(size=at, storageClassName=cls),
            data_volume(size=past, storageClassName=cls),
            f"{cls}-from-{at}",
        )
        for cls, at, past in (
            ("standard-rwx", "1Ti", str(2**40 - 1)),
            ("standard-rwx", "1024Gi", "1023Gi"),
            ("enterprise-rwx", "1Ti", "1023Gi"),
            ("zonal-rwx", "1Ti", "1023Gi"),
            ("premium-rwx", "2560Gi", "2559Gi"),
        )
    ),
    *(
        row(
            "miniCluster.dataVolumes.results.accessMode",
            {**data_volume(size="10Gi", storageClassName=cls, accessMode="ReadOnlyMany")},
            {**data_volume(size="10Gi", storageClassName=cls, accessMode="ReadWriteMany")},
            f"{cls}-never-read-write-many",
        )
        for cls in ("standard", "standard-rwo", "premium-rwo")
    ),
    row(
        "miniCluster.dataVolumes.results.accessMode",
        {**data_volume(size="10Gi", accessMode="ReadWriteOnce"), **packed(2, 1)},
        {**data_volume(size="10Gi", accessMode="ReadWriteOnce"), **packed(2, 2)},
        "read-write-once-one-node",
    ),
    row(
        "miniCluster.dataVolumes.results.accessMode",
        {**data_volume(size="10Gi", accessMode="ReadWriteOncePod"), "miniCluster.size": 1, "miniCluster.maxSize": 1},
        {**data_volume(size="10Gi", accessMode="ReadWriteOncePod"), "miniCluster.size": 1, "miniCluster.maxSize": 2},
        "read-write-once-pod-one-broker",
    ),
    row(
        "miniCluster.dataVolumes.results",
        data_volume(size="10Gi"),
        {"miniCluster.dataVolumes": {"results": {"size": "10Gi"}}},
        "data-volume-mounted",
    ),
    row(
        "miniCluster.dataVolumes",
        {**mounting(name_of(63)), "miniCluster.dataVolumes": {name_of(63): {"size": "1Gi"}}},
        {**mounting(name_of(64)), "miniCluster.dataVolumes": {name_of(64): {"size": "1Gi"}}},
        "data-volume-name-63",
    ),
]


@pytest.mark.parametrize(("field", "at_limit", "past_limit"), DATA_VOLUMES)
def test_data_volumes_at_their_limit(field: str, at_limit: Changes, past_limit: Changes) -> None:
    assert_boundary(field, at_limit, past_limit)


# --- Broker config and certificate ------------------------------------------
# FACTS.md section 8 (what a real flux-core 0.88 broker accepts): default_port
# an integer 0-65535, default_bind and default_connect required, hosts name
# every rank from NAME-0, certificate lines at most 255 characters, metadata
# values without '_' or "'".
def broker_config(port: object = 8050, hosts: str = "lammps-[0-3]", drop: str = "") -> str:
    from flux_minicluster.broker import fluxfacts

    lines = {
        "curve_cert": f'"{fluxfacts.CERT_PATH}"',
        "default_port": str(port),
        "default_bind": '"tcp://eth0:%p"',
        "default_connect": '"tcp://%h.lammps.lammps.svc.cluster.local:%p"',
        "hosts": f'[{{ host = "{hosts}" }}]',
    }
    return "[bootstrap]\n" + "".join(f"{k} = {v}\n" for k, v in lines.items() if k != drop)


BROKER = "miniCluster.flux.brokerConfig"
BROKER_CONFIGS = [
    row(BROKER, {BROKER: broker_config(65535)}, {BROKER: broker_config(65536)}, "port-65535"),
    row(BROKER, {BROKER: broker_config(0)}, {BROKER: broker_config(-1)}, "port-0"),
    row(BROKER, {BROKER: broker_config(8050)}, {BROKER: broker_config('"8050"')}, "port-integer"),
    row(BROKER, {BROKER: broker_config()}, {BROKER: broker_config(hosts="lammps-[0-2]")}, "hosts-cover-max-size"),
    row(BROKER, {BROKER: broker_config()}, {BROKER: broker_config(hosts="lammps-[1-4]")}, "hosts-start-at-rank-0"),
    row(BROKER, {BROKER: broker_config()}, {BROKER: broker_config(drop="default_bind")}, "bind-required"),
    row(BROKER, {BROKER: broker_config()}, {BROKER: broker_config(drop="default_connect")}, "connect-required"),
    row(BROKER, {BROKER: broker_config()}, {BROKER: broker_config(drop="curve_cert")}, "cert-required"),
    row(
        BROKER,
        {BROKER: broker_config(hosts="lammps-[0-5]"), "miniCluster.maxSize": 6},
        {BROKER: broker_config(hosts="lammps-[0-5]"), "miniCluster.maxSize": 7},
        "hosts-follow-max-size",
    ),
]


def certificate_with_hostname(hostname: str) -> str:
    return certificate_text(bytes(range(32)), hostname)


def line_of(length: int) -> str:
    # '    keygen.hostname = "..."' is 25 characters around the value.
    return "a" * (length - len('    keygen.hostname = ""'))


CERTIFICATES = [
    row(
        "curveCertificate",
        {"curveCertificate": certificate_with_hostname(line_of(255))},
        {"curveCertificate": certificate_with_hostname(line_of(256))},
        "certificate-line-255",
    ),
    row(
        "curveCertificate",
        {"curveCertificate": certificate_with_hostname("lammps-0")},
        {"curveCertificate": certificate_with_hostname("lammps_0")},
        "certificate-metadata-no-underscore",
    ),
    # FACTS.md section 8: without metadata name rank 0 fails to authorize peers;
    # the public key must be the one of the secret key.
    row(
        "curveCertificate",
        {"curveCertificate": certificate_with_hostname("lammps-0")},
        {"curveCertificate": certificate_with_hostname("lammps-0").replace('    name = "flux-cert-generator"\n', "")},
        "certificate-metadata-needs-name",
    ),
    row(
        "curveCertificate",
        {"curveCertificate": certificate_with_hostname("lammps-0")},
        {"curveCertificate": certificate_with_hostname("lammps-0").replace("public-key", "public-key-old")},
        "certificate-needs-public-key",
    ),
]


@pytest.mark.parametrize(("field", "at_limit", "past_limit"), BROKER_CONFIGS + CERTIFICATES)
def test_broker_config_and_certificate_at_their_limit(field: str, at_limit: Changes, past_limit: Changes) -> None:
    assert_boundary(field, at_limit, past_limit)


def test_certificate_line_helper_builds_lines_of_the_length_asked() -> None:
    line = [x for x in certificate_with_hostname(line_of(255)).splitlines() if "hostname" in x]
    assert [len(x) for x in line] == [255]


# --- Node pool: names, places, counts ---------------------------------------
# GKE node pool names (gcloud container node-pools create; GKE API
# NodePool.name): 1-40 characters, lowercase letters, digits and '-',
# starting with a letter and ending with a letter or digit. GKE cluster names:
# the same form, 1-40 (gcloud container clusters create). Compute Engine
# "Regions and zones": a zone is its region and a letter. GKE spreads
# node_count evenly: one instance group per zone (FACTS.md section 6). GKE
# "Define compact placement": one zone, at most 1,500 nodes per policy.
# Compute Engine: boot disks of at least 10 GB (GKE --disk-size minimum).
# IAM: service accounts are NAME@PROJECT.iam.gserviceaccount.com.
# GKE "Configure node upgrade strategy": maxSurge and maxUnavailable are
# non-negative and cannot both be 0.
POOL = [
    row("nodePool.name", {"nodePool.name": name_of(40)}, {"nodePool.name": name_of(41)}, "pool-name-40"),
    row("nodePool.name", {"nodePool.name": "a"}, {"nodePool.name": "1"}, "pool-name-letter-first"),
    row("nodePool.name", {"nodePool.name": "a-1"}, {"nodePool.name": "a-"}, "pool-name-alnum-last"),
    row("nodePool.name", {"nodePool.name": "a-b"}, {"nodePool.name": "a_b"}, "pool-name-no-underscore"),
    row("nodePool.cluster", {"nodePool.cluster": name_of(40)}, {"nodePool.cluster": name_of(41)}, "cluster-name-40"),
    row(
        "nodePool.cluster",
        {"nodePool.cluster": "projects/p/locations/us-central1-a/clusters/hpc", "nodePool.location": REMOVED},
        {"nodePool.cluster": "projects/p/clusters/hpc", "nodePool.location": REMOVED},
        "cluster-id-form",
    ),
    row(
        "nodePool.cluster",
        {"nodePool.cluster": "projects/p/locations/us-central1/clusters/hpc", "nodePool.location": REMOVED},
        {"nodePool.cluster": "projects/p/locations/uscentral/clusters/hpc", "nodePool.location": REMOVED},
        "cluster-id-location",
    ),
    row(
        "nodePool.location",
        {"nodePool.location": "us-central1"},
        {"nodePool.location": REMOVED},
        "bare-cluster-name-needs-location",
    ),
    row(
        "nodePool.location",
        {"nodePool.location": "us-central1"},
        {"nodePool.location": "us-central"},
        "location-region-form",
    ),
    row(
        "nodePool.location",
        {"nodePool.cluster": "projects/p/locations/us-central1-a/clusters/hpc", "nodePool.location": "us-central1-a"},
        {"nodePool.cluster": "projects/p/locations/us-central1-a/clusters/hpc", "nodePool.location": "us-central1-b"},
        "location-agrees-with-id",
    ),
    row(
        "nodePool.project",
        {"nodePool.cluster": "projects/p/locations/us-central1-a/clusters/hpc", "nodePool.project": "p"},
        {"nodePool.cluster": "projects/p/locations/us-central1-a/clusters/hpc", "nodePool.project": "q"},
        "project-agrees-with-id",
    ),
    row("nodePool.zones", {"nodePool.zones": ["us-central1-a"]}, {"nodePool.zones": []}, "at-least-one-zone"),
    row("nodePool.zones[0]", {"nodePool.zones": ["us-central1-b"]}, {"nodePool.zones": ["us-central1"]}, "zone-form"),
    row(
        "nodePool.zones[0]",
        {"nodePool.zones": ["us-central1-f"]},
        {"nodePool.zones": ["us-east1-b"]},
        "zone-in-cluster-region",
    ),
    row(
        "nodePool.zones[1]",
        {"nodePool.zones": ["us-central1-a", "us-central1-b"], "nodePool.compactPlacement": False},
        {"nodePool.zones": ["us-central1-a", "us-east1-b"], "nodePool.compactPlacement": False},
        "second-zone-in-cluster-region",
    ),
    row(
        "nodePool.nodeCount",
        {"nodePool.nodeCount": 1, "miniCluster.size": 1},
        {"nodePool.nodeCount": 0, "miniCluster.size": 1},
        "node-count-at-least-1",
    ),
    row(
        "nodePool.nodeCount",
        {"nodePool.zones": ["us-central1-a", "us-central1-b"], "nodePool.compactPlacement": False},
        {
            "nodePool.zones": ["us-central1-a", "us-central1-b"],
            "nodePool.compactPlacement": False,
            "nodePool.nodeCount": 5,
        },
        "node-count-even-over-zones",
    ),
    row(
        "nodePool.nodeCount",
        {
            "nodePool.zones": ["us-central1-a", "us-central1-b", "us-central1-c"],
            "nodePool.compactPlacement": False,
            "nodePool.nodeCount": 6,
        },
        {
            "nodePool.zones": ["us-central1-a", "us-central1-b", "us-central1-c"],
            "nodePool.compactPlacement": False,
            "nodePool.nodeCount": 4,
        },
        "node-count-even-over-three-zones",
    ),
    row("nodePool.nodeCount", {"nodePool.nodeCount": 1500}, {"nodePool.nodeCount": 1501}, "compact-1500-nodes"),
    row(
        "nodePool.zones",
        {"nodePool.zones": ["us-central1-a"]},
        {"nodePool.zones": ["us-central1-a", "us-central1-b"], "nodePool.nodeCount": 4},
        "compact-one-zone",
    ),
    row(
        "nodePool.placementPolicyName",
        {"nodePool.placementPolicyName": "p"},
        {"nodePool.placementPolicyName": "p", "nodePool.compactPlacement": False},
        "policy-needs-compact",
    ),
    row("nodePool.diskSizeGb", {"nodePool.diskSizeGb": 10}, {"nodePool.diskSizeGb": 9}, "boot-disk-10-gb"),
    row(
        "nodePool.serviceAccount",
        {"nodePool.serviceAccount": "nodes@proj.iam.gserviceaccount.com"},
        {"nodePool.serviceAccount": "nodes@proj.iam.gserviceaccount.co"},
        "service-account-email",
    ),
    row(
        "nodePool.serviceAccount",
        {"nodePool.serviceAccount": "nodes@proj.iam.gserviceaccount.com"},
        {"nodePool.serviceAccount": "nodes"},
        "service-account-not-a-name",
    ),
    row(
        "nodePool.maxSurge",
        {"nodePool.maxSurge": 0, "nodePool.maxUnavailable": 1},
        {"nodePool.maxSurge": 0, "nodePool.maxUnavailable": 0},
        "upgrade-can-progress-by-unavailable",
    ),
    row(
        "nodePool.maxSurge",
        {"nodePool.maxSurge": 1, "nodePool.maxUnavailable": 0},
        {"nodePool.maxSurge": 0, "nodePool.maxUnavailable": 0},
        "upgrade-can-progress-by-surge",
    ),
    row("nodePool.maxSurge", {"nodePool.maxSurge": 0}, {"nodePool.maxSurge": -1}, "surge-non-negative"),
    row(
        "nodePool.maxUnavailable",
        {"nodePool.maxUnavailable": 0, "nodePool.maxSurge": 1},
        {"nodePool.maxUnavailable": -1, "nodePool.maxSurge": 1},
        "unavailable-non-negative",
    ),
    row(
        "nodePool.nodeCount",
        {"nodePool.nodeCount": 4, "miniCluster.size": 4},
        {"nodePool.nodeCount": 3, "miniCluster.size": 4, "miniCluster.maxSize": 4},
        "a-node-per-broker",
    ),
]

# GKE "Consume reserved zonal resources" (reservationAffinity): a specific
# reservation names key and values; ANY_RESERVATION and NO_RESERVATION take
# neither.
SPECIFIC = {"consumeType": "SPECIFIC_RESERVATION", "key": "compute.googleapis.com/reservation-name", "values": ["r"]}
RESERVATIONS = [
    row(
        "nodePool.reservation",
        {"nodePool.reservation": SPECIFIC},
        {"nodePool.reservation": {**SPECIFIC, "values": []}},
        "specific-needs-values",
    ),
    row(
        "nodePool.reservation",
        {"nodePool.reservation": SPECIFIC},
        {"nodePool.reservation": {k: v for k, v in SPECIFIC.items() if k != "key"}},
        "specific-needs-key",
    ),
    *(
        row(
            "nodePool.reservation",
            {"nodePool.reservation": {"consumeType": kind}},
            {"nodePool.reservation": {"consumeType": kind, **extra}},
            f"{kind}-takes-no-{'-'.join(extra)}",
        )
        for kind in ("ANY_RESERVATION", "NO_RESERVATION")
        for extra in ({"key": SPECIFIC["key"]}, {"values": ["r"]})
    ),
    row(
        "nodePool.reservation.consumeType",
        {"nodePool.reservation": {"consumeType": "NO_RESERVATION"}},
        {"nodePool.reservation": {"consumeType": "SOME_RESERVATION"}},
        "consume-types",
    ),
]


@pytest.mark.parametrize(("field", "at_limit", "past_limit"), POOL + RESERVATIONS)
def test_node_pool_at_its_limit(field: str, at_limit: Changes, past_limit: Changes) -> None:
    assert_boundary(field, at_limit, past_limit)


def test_default_pool_name_of_a_long_minicluster_name_is_a_valid_pool_name() -> None:
    # A 61-character MiniCluster name is valid; its pool, named after it, must
    # still fit GKE's 40 characters and not end with '-'.
    for name in (name_of(61), name_of(35) + "-abcd"):
        spec = load_spec(changed({"miniCluster.name": name}))
        assert spec.node_pool is not None and spec.node_pool.name is not None
        assert len(spec.node_pool.name) <= 40 and not spec.node_pool.name.endswith("-")
        assert spec.node_pool.name.startswith(name[:30])


# --- Node pool: machines, networking, disks ---------------------------------
# Compute Engine "Set the number of threads per core": not on shared-core
# machines, not on machines with 1 vCPU, not on T2D/T2A/H3/H4D (one thread per
# core, which may still be stated). "Tier_1 networking" (FACTS.md section 6):
# N2, N2D, C2, C2D or C3 with gVNIC and at least 30 vCPUs; gVNIC needs a COS
# image. GKE "Define compact placement": C2, C2D, C3, C3D, C4D, H3, H4D, N2,
# N2D, A2, A3, A4, G2; A3 High and later, A4 and H4D through a named workload
# policy. Boot disks: Compute Engine "Machine series support" for Persistent
# Disk and Hyperdisk (C3 takes no pd-standard; C4D Hyperdisk only).
LOOSE = {"nodePool.compactPlacement": False}
MACHINES = [
    row(
        "nodePool.threadsPerCore",
        {**LOOSE, "nodePool.machineType": "n1-standard-2", "miniCluster.size": 1},
        {**LOOSE, "nodePool.machineType": "n1-standard-1", "miniCluster.size": 1},
        "smt-needs-2-vcpus",
    ),
    row(
        "nodePool.threadsPerCore",
        {**LOOSE, "nodePool.machineType": "e2-small", "nodePool.threadsPerCore": None},
        {**LOOSE, "nodePool.machineType": "e2-small"},
        "smt-not-on-shared-core",
    ),
    *(
        row(
            "nodePool.threadsPerCore",
            {**LOOSE, "nodePool.machineType": machine, "nodePool.threadsPerCore": 1},
            {**LOOSE, "nodePool.machineType": machine, "nodePool.threadsPerCore": 2},
            f"one-thread-fixed-on-{machine}",
        )
        for machine in ("t2d-standard-8", "t2a-standard-8", "h3-standard-88")
    ),
    row(
        "nodePool.threadsPerCore",
        {"nodePool.threadsPerCore": 2},
        {"nodePool.threadsPerCore": 3},
        "threads-per-core-1-or-2",
    ),
    *(
        row(
            "nodePool.egressBandwidthTier",
            {"nodePool.egressBandwidthTier": "TIER_1", "nodePool.machineType": at},
            {"nodePool.egressBandwidthTier": "TIER_1", "nodePool.machineType": past},
            f"tier1-{at}-not-{past}",
        )
        for at, past in (
            ("c2-standard-30", "c2-standard-16"),
            ("n2-standard-32", "n2-standard-16"),
            ("n2d-standard-32", "n2d-standard-16"),
            ("c2d-standard-32", "c2d-standard-16"),
            ("c3-standard-44", "c3-standard-22"),
            ("c2-standard-30", "c3d-standard-30"),
        )
    ),
    row(
        "nodePool.egressBandwidthTier",
        {"nodePool.egressBandwidthTier": "TIER_1", "nodePool.gvnic": True},
        {"nodePool.egressBandwidthTier": "TIER_1", "nodePool.gvnic": False},
        "tier1-needs-gvnic",
    ),
    row(
        "nodePool.imageType",
        {"nodePool.imageType": "COS_CONTAINERD"},
        {"nodePool.imageType": "UBUNTU_CONTAINERD"},
        "gvnic-needs-cos",
    ),
    row(
        "nodePool.imageType",
        {"nodePool.imageType": "cos_containerd"},
        {"nodePool.imageType": "UBUNTU_CONTAINERD", "nodePool.gvnic": True},
        "gvnic-cos-any-case",
    ),
    *(
        row(
            "nodePool.machineType",
            {"nodePool.machineType": at},
            {"nodePool.machineType": past},
            f"compact-{at}-not-{past}",
        )
        for at, past in (("n2-standard-32", "e2-standard-32"), ("c3d-standard-30", "n1-standard-32"))
    ),
    *(
        row(
            "nodePool.placementPolicyName",
            {"nodePool.machineType": machine, "nodePool.placementPolicyName": "policy"},
            {"nodePool.machineType": machine},
            f"compact-{machine}-needs-workload-policy",
        )
        for machine in ("a3-highgpu-8g", "a3-megagpu-8g", "a4-highgpu-8g", "h4d-standard-192")
    ),
    row(
        "nodePool.machineType",
        {"nodePool.machineType": "c2d-standard-56"},
        {"nodePool.machineType": "c2d-standard-57"},
        "known-machine-type",
    ),
    *(
        row(
            "nodePool.diskType",
            {"nodePool.machineType": machine, "nodePool.diskType": at},
            {"nodePool.machineType": machine, "nodePool.diskType": past},
            f"{machine}-boots-from-{at}-not-{past}",
        )
        for machine, at, past in (
            ("c3-standard-44", "pd-balanced", "pd-standard"),
            ("c4d-standard-32", "hyperdisk-balanced", "pd-balanced"),
            ("c2d-standard-112", "pd-ssd", "pd-extreme"),
        )
    ),
]


@pytest.mark.parametrize(("field", "at_limit", "past_limit"), MACHINES)
def test_machine_rules_at_their_limit(field: str, at_limit: Changes, past_limit: Changes) -> None:
    assert_boundary(field, at_limit, past_limit)


def test_tier1_needs_30_vcpus_exactly_at_the_catalog_level() -> None:
    # No Tier_1 machine type has 29 vCPUs; the rule itself is at 30.
    def c2(vcpus: int) -> machines.MachineType:
        return machines.MachineType(f"c2-standard-{vcpus}", machines.Shape(vcpus, Fraction(4 * vcpus)))

    assert c2(30).supports_tier_1 and not c2(29).supports_tier_1


def test_smt_needs_two_vcpus_at_the_catalog_level() -> None:
    def n2(vcpus: int) -> machines.MachineType:
        return machines.MachineType(f"n2-standard-{vcpus}", machines.Shape(vcpus, Fraction(4 * vcpus)))

    assert n2(2).smt_configurable and not n2(1).smt_configurable


# --- GPUs --------------------------------------------------------------------
# Compute Engine "GPU machine types", N1 with attached GPUs: counts and the
# most vCPUs per count: T4 1:48 2:48 4:96; V100 1:12 2:24 4:48 8:96; P100
# 1:16 2:32 4:64; P4 1:24 2:48 4:96. GKE "About GPUs" (FACTS.md section 6):
# A2/A3/A4/G2 come with their GPUs. GKE "GPU time-sharing" and "NVIDIA MPS":
# at most 48 clients per GPU, at least 2 to share; a node then offers
# GPUs x clients nvidia.com/gpu, but a container may ask for only one.
def n1_gpu(gpu: str, count: int, machine: str, **extra: Any) -> Changes:
    return {**LOOSE, "nodePool.machineType": machine, "nodePool.gpu": {"type": gpu, "count": count, **extra}}


N1_LIMITS = [
    ("nvidia-tesla-t4", 1, "n1-standard-32", "n1-standard-64"),  # at most 48
    ("nvidia-tesla-t4", 4, "n1-standard-96", None),  # at most 96: the largest N1
    ("nvidia-tesla-v100", 1, "n1-standard-8", "n1-standard-16"),  # at most 12
    ("nvidia-tesla-v100", 2, "n1-standard-16", "n1-standard-32"),  # at most 24
    ("nvidia-tesla-v100", 4, "n1-standard-32", "n1-standard-64"),  # at most 48
    ("nvidia-tesla-v100", 8, "n1-standard-96", None),  # at most 96
    ("nvidia-tesla-p100", 1, "n1-standard-16", "n1-standard-32"),  # at most 16, exactly
    ("nvidia-tesla-p100", 2, "n1-standard-32", "n1-standard-64"),  # at most 32, exactly
    ("nvidia-tesla-p100", 4, "n1-standard-64", "n1-standard-96"),  # at most 64, exactly
    ("nvidia-tesla-p4", 1, "n1-standard-16", "n1-standard-32"),  # at most 24
    ("nvidia-tesla-p4", 2, "n1-standard-32", "n1-standard-64"),  # at most 48
]
GPUS = [
    *(
        row(
            "nodePool.gpu.count",
            n1_gpu(gpu, count, at),
            n1_gpu(gpu, count, past) if past else n1_gpu(gpu, count * 2, at),
            f"{gpu}-x{count}-on-{at}",
        )
        for gpu, count, at, past in N1_LIMITS
    ),
    *(
        row(
            "nodePool.gpu.count",
            n1_gpu(gpu, good, "n1-standard-8"),
            n1_gpu(gpu, bad, "n1-standard-8"),
            f"{gpu}-counts-{good}-not-{bad}",
        )
        for gpu, good, bad in (
            ("nvidia-tesla-t4", 2, 3),
            ("nvidia-tesla-v100", 1, 3),
            ("nvidia-tesla-p100", 4, 8),
            ("nvidia-tesla-p4", 4, 8),
        )
    ),
    row(
        "nodePool.gpu.count",
        n1_gpu("nvidia-tesla-t4", 1, "n1-standard-8"),
        n1_gpu("nvidia-tesla-t4", 0, "n1-standard-8"),
        "gpu-count-at-least-1",
    ),
    row(
        "nodePool.gpu.count",
        n1_gpu("nvidia-tesla-t4", 1, "n1-standard-8"),
        {**LOOSE, "nodePool.machineType": "n1-standard-8", "nodePool.gpu": {"type": "nvidia-tesla-t4"}},
        "attached-gpus-need-a-count",
    ),
    row(
        "nodePool.gpu.type",
        n1_gpu("nvidia-tesla-t4", 1, "n1-standard-8"),
        {**LOOSE, "nodePool.machineType": "n1-standard-8", "nodePool.gpu": {"count": 1}},
        "attached-gpus-need-a-type",
    ),
    row(
        "nodePool.gpu.type",
        n1_gpu("nvidia-tesla-t4", 1, "n1-standard-8"),
        n1_gpu("nvidia-l4", 1, "n1-standard-8"),
        "n1-takes-only-its-gpus",
    ),
    row(
        "nodePool.gpu.type",
        {"nodePool.machineType": "c2d-standard-112"},
        {"nodePool.gpu": {"type": "nvidia-tesla-t4", "count": 1}},
        "no-gpu-on-cpu-machines",
    ),
    *(
        row(
            "nodePool.gpu.count",
            {"nodePool.machineType": machine, "nodePool.gpu": {"count": count}},
            {"nodePool.machineType": machine, "nodePool.gpu": {"count": count * 2}},
            f"{machine}-comes-with-{count}",
        )
        for machine, count in (("a2-highgpu-4g", 4), ("g2-standard-48", 4), ("g2-standard-24", 2))
    ),
    row(
        "nodePool.gpu.type",
        {"nodePool.machineType": "a2-ultragpu-8g", "nodePool.gpu": {"type": "nvidia-a100-80gb"}},
        {"nodePool.machineType": "a2-ultragpu-8g", "nodePool.gpu": {"type": "nvidia-tesla-a100"}},
        "a2-ultra-takes-a100-80gb",
    ),
    *(
        row(
            "nodePool.gpu.maxSharedClientsPerGpu",
            n1_gpu("nvidia-tesla-t4", 1, "n1-standard-8", sharingStrategy=strategy, maxSharedClientsPerGpu=at),
            n1_gpu("nvidia-tesla-t4", 1, "n1-standard-8", sharingStrategy=strategy, maxSharedClientsPerGpu=past),
            f"{strategy}-clients-{at}-not-{past}",
        )
        for strategy in ("TIME_SHARING", "MPS")
        for at, past in ((48, 49), (2, 1))
    ),
    row(
        "nodePool.gpu.sharingStrategy",
        n1_gpu("nvidia-tesla-t4", 1, "n1-standard-8", sharingStrategy="MPS", maxSharedClientsPerGpu=2),
        n1_gpu("nvidia-tesla-t4", 1, "n1-standard-8", sharingStrategy="MPS"),
        "strategy-needs-clients",
    ),
    row(
        "nodePool.gpu.sharingStrategy",
        n1_gpu("nvidia-tesla-t4", 1, "n1-standard-8", sharingStrategy="MPS", maxSharedClientsPerGpu=2),
        n1_gpu("nvidia-tesla-t4", 1, "n1-standard-8", maxSharedClientsPerGpu=2),
        "clients-need-strategy",
    ),
]


@pytest.mark.parametrize(("field", "at_limit", "past_limit"), GPUS)
def test_gpu_rules_at_their_limit(field: str, at_limit: Changes, past_limit: Changes) -> None:
    assert_boundary(field, at_limit, past_limit)


# What containers ask of the GPUs of one node. Without sharing a node offers
# its physical GPUs; with time-sharing or MPS it offers GPUs x clients, and
# each container may ask for one (GKE docs above).
GPU_LIMIT = "miniCluster.containers[0].resources.limits.nvidia.com/gpu"


def asking(gpus: int | str, **pool: Any) -> Changes:
    return {f"{FLUX}.resources": {"limits": {"nvidia.com/gpu": gpus}}, **pool}


def shared(strategy: str, gpus: int, clients: int) -> Changes:
    return n1_gpu("nvidia-tesla-t4", gpus, "n1-standard-16", sharingStrategy=strategy, maxSharedClientsPerGpu=clients)


GPU_FITS = [
    row(
        GPU_LIMIT,
        asking(2, **n1_gpu("nvidia-tesla-t4", 2, "n1-standard-16")),
        asking(3, **n1_gpu("nvidia-tesla-t4", 2, "n1-standard-16")),
        "limit-at-most-the-node-gpus",
    ),
    row(
        GPU_LIMIT,
        asking(1, **n1_gpu("nvidia-tesla-t4", 1, "n1-standard-16")),
        asking("500m", **n1_gpu("nvidia-tesla-t4", 1, "n1-standard-16")),
        "whole-gpus",
    ),
    *(
        row(
            GPU_LIMIT,
            asking(1, **shared(strategy, 2, 4)),
            asking(2, **shared(strategy, 2, 4)),
            f"{strategy}-one-gpu-per-container-although-node-offers-8",
        )
        for strategy in ("TIME_SHARING", "MPS")
    ),
    # The Flux container with no limit of its own gets one shared GPU, so a
    # node with 2 GPUs x 4 clients holds 8 brokers, not 9.
    *(
        row(
            "miniCluster.containers[0].resources.limits",
            {**shared(strategy, 2, 4), **packed(32, 4)},
            {**shared(strategy, 2, 4), **packed(33, 4)},
            f"{strategy}-default-limit-one-shared-gpu-per-broker",
        )
        for strategy in ("TIME_SHARING", "MPS")
    ),
    *(
        row(
            GPU_LIMIT,
            asking(1, **shared(strategy, 1, 3), **packed(12, 4)),
            asking(1, **shared(strategy, 1, 3), **packed(13, 4)),
            f"{strategy}-three-clients-hold-three-brokers-per-node",
        )
        for strategy in ("TIME_SHARING", "MPS")
    ),
    row(
        GPU_LIMIT,
        asking(1, **n1_gpu("nvidia-tesla-t4", 2, "n1-standard-16"), **packed(8, 4)),
        asking(1, **n1_gpu("nvidia-tesla-t4", 2, "n1-standard-16"), **packed(9, 4)),
        "unshared-two-gpus-hold-two-brokers-per-node",
    ),
    row(
        GPU_LIMIT,
        asking(1, **n1_gpu("nvidia-tesla-t4", 1, "n1-standard-16"), **packed(5, 5)),
        asking(1, **n1_gpu("nvidia-tesla-t4", 1, "n1-standard-16"), **packed(6, 5)),
        "unshared-one-gpu-holds-one-broker-per-node",
    ),
    row(
        "miniCluster.containers",
        {
            **n1_gpu("nvidia-tesla-t4", 2, "n1-standard-16"),
            "miniCluster.containers": [
                {"image": "a", "runFlux": True, "resources": {"limits": {"nvidia.com/gpu": 1}}},
                {**SIDECAR, "resources": {"limits": {"nvidia.com/gpu": 1}}},
            ],
        },
        {
            **n1_gpu("nvidia-tesla-t4", 2, "n1-standard-16"),
            "miniCluster.containers": [
                {"image": "a", "runFlux": True, "resources": {"limits": {"nvidia.com/gpu": 2}}},
                {**SIDECAR, "resources": {"limits": {"nvidia.com/gpu": 1}}},
            ],
        },
        "containers-of-a-pod-share-the-node-gpus",
    ),
    row(
        "miniCluster.containers",
        {
            **shared("MPS", 1, 2),
            "miniCluster.containers": [
                {"image": "a", "runFlux": True, "resources": {"limits": {"nvidia.com/gpu": 1}}},
                {**SIDECAR, "resources": {"limits": {"nvidia.com/gpu": 1}}},
            ],
        },
        {
            **shared("MPS", 1, 2),
            "miniCluster.containers": [
                {"image": "a", "runFlux": True, "resources": {"limits": {"nvidia.com/gpu": 1}}},
                {**SIDECAR, "resources": {"limits": {"nvidia.com/gpu": 1}}},
                {"name": "third", "image": "b", "resources": {"limits": {"nvidia.com/gpu": 1}}},
            ],
        },
        "shared-gpu-clients-per-pod",
    ),
    row(
        GPU_LIMIT,
        {"miniCluster.size": 1},
        asking(1),
        "no-gpus-on-a-cpu-pool",
    ),
]


@pytest.mark.parametrize(("field", "at_limit", "past_limit"), GPU_FITS)
def test_gpu_requests_fit_the_node_at_their_limit(field: str, at_limit: Changes, past_limit: Changes) -> None:
    assert_boundary(field, at_limit, past_limit)


# --- CPU and memory a node leaves to pods -----------------------------------
# GKE "Plan GKE Standard node sizes", resource reservations: CPU 6% of the
# first core, 1% of the second, 0.5% of the next two, 0.25% above four;
# memory 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of
# the next 112, 2% above 128 GiB, plus a 100 MiB eviction threshold; 255 MiB
# on machines under 1 GiB. c2d-standard-112: 112 vCPUs (56 cores, so 56 CPUs
# with threadsPerCore 1) and 448 GB (Compute Engine C2D table).
def gke_allocatable_cpu_millis(cores: int) -> int:
    reserved = Fraction(6, 100) + Fraction(1, 100) + 2 * Fraction(5, 1000) + (cores - 4) * Fraction(25, 10000)
    millis = (cores - reserved) * 1000
    assert millis.denominator == 1
    return int(millis)


def gke_allocatable_memory_bytes(gib: int) -> Fraction:
    reserved_gib = (
        Fraction(25, 100) * 4 + Fraction(20, 100) * 4 + Fraction(10, 100) * 8 + Fraction(6, 100) * 112
    ) + Fraction(2, 100) * (gib - 128)
    return gib * GIB - reserved_gib * GIB - 100 * MIB


def test_the_documented_reservations_give_the_numbers_the_rows_use() -> None:
    # 56 - (0.06 + 0.01 + 0.01 + 52 * 0.0025) = 55.79 CPUs.
    assert gke_allocatable_cpu_millis(56) == 55790
    assert gke_allocatable_cpu_millis(112) == 111650


CPU_LIMIT_56 = gke_allocatable_cpu_millis(56)
CPU_LIMIT_112 = gke_allocatable_cpu_millis(112)
MEMORY_LIMIT = math.floor(gke_allocatable_memory_bytes(448))


def cpu(millis: int, **more: Any) -> Changes:
    return {f"{FLUX}.resources": {"requests": {"cpu": f"{millis}m"}}, **more}


def memory(amount: int, where: str = "requests", **more: Any) -> Changes:
    return {f"{FLUX}.resources": {where: {"memory": str(amount)}}, **more}


FITS = [
    row(
        "miniCluster.containers[0].resources.requests.cpu",
        cpu(CPU_LIMIT_56),
        cpu(CPU_LIMIT_56 + 1),
        "cpu-smt-off-halves-the-cpus",
    ),
    row(
        "miniCluster.containers[0].resources.requests.cpu",
        cpu(CPU_LIMIT_112, **{"nodePool.threadsPerCore": None}),
        cpu(CPU_LIMIT_112 + 1, **{"nodePool.threadsPerCore": None}),
        "cpu-smt-as-machine",
    ),
    row(
        "miniCluster.containers[0].resources.requests.cpu",
        cpu(CPU_LIMIT_56 // 2, **packed(8, 4)),
        cpu(CPU_LIMIT_56 // 2 + 1, **packed(8, 4)),
        "cpu-two-brokers-per-node",
    ),
    row(
        "miniCluster.containers[0].resources.requests.memory",
        memory(MEMORY_LIMIT),
        memory(MEMORY_LIMIT + 1),
        "memory-request",
    ),
    row(
        "miniCluster.containers[0].resources.limits.memory",
        memory(MEMORY_LIMIT, "limits"),
        memory(MEMORY_LIMIT + 1, "limits"),
        "memory-limit-without-request-is-the-request",
    ),
    row(
        "miniCluster.containers",
        {
            "miniCluster.containers": [
                {"image": "a", "runFlux": True, "resources": {"requests": {"cpu": f"{CPU_LIMIT_56 - 1000}m"}}},
                {**SIDECAR, "resources": {"requests": {"cpu": 1}}},
            ]
        },
        {
            "miniCluster.containers": [
                {"image": "a", "runFlux": True, "resources": {"requests": {"cpu": f"{CPU_LIMIT_56 - 999}m"}}},
                {**SIDECAR, "resources": {"requests": {"cpu": 1}}},
            ]
        },
        "cpu-of-all-containers-of-a-pod",
    ),
    row(
        "nodePool.nodeCount",
        {"miniCluster.size": 5, "nodePool.nodeCount": 4, "miniCluster.allowPacking": True},
        {"miniCluster.size": 5, "nodePool.nodeCount": 4},
        "more-brokers-than-nodes-needs-packing",
    ),
]


@pytest.mark.parametrize(("field", "at_limit", "past_limit"), FITS)
def test_pod_requests_fit_the_node_at_their_limit(field: str, at_limit: Changes, past_limit: Changes) -> None:
    assert_boundary(field, at_limit, past_limit)


# --- Catalog functions at their documented edges -----------------------------
def test_small_machine_reservation_switches_at_one_gib() -> None:
    # Under 1 GiB: 255 MiB; from 1 GiB: 25% of it, 256 MiB.
    assert allocatable.reserved_memory(Fraction(GIB - 1)) == 255 * MIB
    assert allocatable.reserved_memory(Fraction(GIB)) == 256 * MIB


@pytest.mark.parametrize(
    ("gib", "reserved_gib"),
    [
        (4, Fraction(1)),
        (8, Fraction(1) + Fraction(8, 10)),
        (16, Fraction(1) + Fraction(8, 10) + Fraction(8, 10)),
        (128, Fraction(1) + Fraction(8, 10) + Fraction(8, 10) + Fraction(672, 100)),
        (129, Fraction(1) + Fraction(8, 10) + Fraction(8, 10) + Fraction(672, 100) + Fraction(2, 100)),
    ],
)
def test_memory_reservation_tiers_end_where_the_document_says(gib: int, reserved_gib: Fraction) -> None:
    assert allocatable.reserved_memory(Fraction(gib * GIB)) == reserved_gib * GIB


@pytest.mark.parametrize(
    ("cores", "reserved"),
    [
        (1, Fraction(6, 100)),
        (2, Fraction(7, 100)),
        (4, Fraction(8, 100)),
        (5, Fraction(8, 100) + Fraction(25, 10000)),
    ],
)
def test_cpu_reservation_tiers_end_where_the_document_says(cores: int, reserved: Fraction) -> None:
    assert allocatable.reserved_cpu(Fraction(cores)) == reserved


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1Ki", 1024),
        ("1k", 1000),
        ("1Mi", 2**20),
        ("1M", 10**6),
        ("1Ti", 2**40),
        ("500m", Fraction(1, 2)),
        ("1e3", 1000),
        ("1E-3", Fraction(1, 1000)),
        ("2.5Gi", 5 * 2**29),
        (".5", Fraction(1, 2)),
    ],
)
def test_quantity_suffixes_have_their_documented_values(text: str, value: Fraction | int) -> None:
    # k8s.io/apimachinery resource.Quantity: binary Ki..Ei, decimal n..E, exponents.
    assert quantities.quantity_value(text) == value


@pytest.mark.parametrize("text", ["1KB", "1ki", "Gi", "1.2.3", "", "1 Gi"])
def test_text_that_is_not_a_quantity_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        quantities.quantity_value(text)


@pytest.mark.parametrize(
    ("text", "zone", "region"),
    [
        ("us-central1-a", True, False),
        ("us-central1", False, True),
        ("europe-west4-b", True, False),
        ("us-central1-ab", False, False),
        ("us-central-a", False, False),
        ("uscentral1", False, False),
    ],
)
def test_zone_and_region_forms(text: str, zone: bool, region: bool) -> None:
    # Compute Engine "Regions and zones": REGION is area-placeN, ZONE is REGION-x.
    assert (locations.is_zone(text), locations.is_region(text)) == (zone, region)


def test_cluster_name_of_40_characters_is_read_and_41_refused() -> None:
    assert locations.parse_cluster(name_of(40)).name == name_of(40)
    with pytest.raises(ValueError, match="not a GKE cluster name"):
        locations.parse_cluster(name_of(41))


# --- Closed sets: every documented value accepted, a near miss refused --------
# GKE API: gpuDriverInstallationConfig.gpuDriverVersion (DEFAULT, LATEST,
# INSTALLATION_DISABLED), GPU sharing strategies (TIME_SHARING, MPS),
# kubelet cpuManagerPolicy (static, none), networkPerformanceConfig
# totalEgressBandwidthTier (DEFAULT, TIER_1), node pool boot disk types;
# Kubernetes core/v1: taint and toleration effects, toleration operators,
# PersistentVolumeClaim access modes, emptyDir medium ("Memory", written
# lowercase in stacks); Fluxion queue policies (fcfs, easy, conservative,
# hybrid).
T4 = n1_gpu("nvidia-tesla-t4", 1, "n1-standard-8")
SETS: list[tuple[str, str, list[Any], Any, Changes]] = [
    (
        "nodePool.gpu.driverVersion",
        "nodePool.gpu.driverVersion",
        ["DEFAULT", "LATEST", "INSTALLATION_DISABLED"],
        "default",
        T4,
    ),
    ("nodePool.cpuManagerPolicy", "nodePool.cpuManagerPolicy", ["static", "none"], "Static", {}),
    ("nodePool.egressBandwidthTier", "nodePool.egressBandwidthTier", ["DEFAULT", "TIER_1"], "TIER_2", {}),
    ("nodePool.diskType", "nodePool.diskType", ["pd-standard", "pd-balanced", "pd-ssd"], "pd-extreme", {}),
    ("nodePool.taints[0].effect", "nodePool.taints", ["NoSchedule", "PreferNoSchedule", "NoExecute"], "NoRun", {}),
    (
        "miniCluster.pod.tolerations[0].effect",
        "miniCluster.pod.tolerations",
        ["NoSchedule", "PreferNoSchedule", "NoExecute"],
        "NoRun",
        {},
    ),
    ("miniCluster.pod.tolerations[0].operator", "miniCluster.pod.tolerations", ["Equal", "Exists"], "In", {}),
    (
        "miniCluster.flux.queuePolicy",
        "miniCluster.flux.queuePolicy",
        ["fcfs", "easy", "conservative", "hybrid"],
        "FCFS",
        {},
    ),
]


def _set_value(key: str, field: str, value: Any) -> Changes:
    if key == "nodePool.taints":
        return {key: [{"key": "k", "effect": value}]}
    if key == "miniCluster.pod.tolerations":
        name = field.rsplit(".", 1)[1]
        return {key: [{"key": "k", name: value}]}
    return {key: value}


@pytest.mark.parametrize(("field", "key", "allowed", "near_miss", "base"), SETS, ids=[row[0] for row in SETS])
def test_every_value_of_a_closed_set_is_accepted_and_a_near_miss_refused(
    field: str, key: str, allowed: list[Any], near_miss: Any, base: Changes
) -> None:
    for value in allowed:
        load_spec(changed({**base, **_set_value(key, field, value)}))
    assert field in problems(changed({**base, **_set_value(key, field, near_miss)}))


@pytest.mark.parametrize("mode", ["ReadWriteMany", "ReadWriteOnce", "ReadOnlyMany", "ReadWriteOncePod"])
def test_every_access_mode_is_accepted_where_its_volume_allows(mode: str) -> None:
    # One broker on one node: every mode is usable (Kubernetes "Persistent Volumes").
    load_spec(changed({**data_volume(size="10Gi", accessMode=mode), "miniCluster.size": 1, "nodePool.nodeCount": 1}))


def test_empty_dir_medium_is_memory_or_nothing() -> None:
    volume = {"path": "/scratch", "emptyDir": True}
    load_spec(changed({f"{FLUX}.volumes": {"v": {**volume, "emptyDirMedium": "memory"}}}))
    found = problems(changed({f"{FLUX}.volumes": {"v": {**volume, "emptyDirMedium": "disk"}}}))
    assert "miniCluster.containers[0].volumes.v.emptyDirMedium" in found
