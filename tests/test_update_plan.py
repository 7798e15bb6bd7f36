"""The update planner behind `flux-minicluster diff`, on hand-made resources:
which rule replaces what, what the summary and hunks say, and the
provider rules it reads (pulumi-kubernetes' forceNew table, patch resources)."""

from __future__ import annotations

import hashlib

from flux_minicluster import load_spec
from flux_minicluster.cli.render import RenderedResource, certificate_stand_in, rendered_resources
from flux_minicluster.cli.update_plan import changed_paths, describe, plan_update
from flux_minicluster.endpoint import lead_broker
from flux_minicluster.lifecycle import OPERATOR, kubernetes_replaces, lifecycle_of
from flux_minicluster.names import camel_case

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def deployment(selector: str = "manager", image: str = "op:1") -> RenderedResource:
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "op", "namespace": "operator-system"},
        "spec": {
            "selector": {"matchLabels": {"app": selector}},
            "template": {"spec": {"containers": [{"name": "manager", "image": image}]}},
        },
    }
    return RenderedResource(DEPLOYMENT, "x-operator-deployment", body, role=OPERATOR)


def test_provider_replace_paths_by_kind_follow_pulumi_kubernetes() -> None:
    # forceNew in pulumi-kubernetes provider/pkg/provider/diff.go (v4).
    named = ("metadata.name", "metadata.namespace")
    assert kubernetes_replaces("Secret") == (*named, "type", "data", "stringData")
    assert kubernetes_replaces("ConfigMap") == (*named, "data", "binaryData")
    assert kubernetes_replaces("Service") == (*named, "spec.clusterIP")
    assert kubernetes_replaces("Job") == (
        *named,
        "spec.completions",
        "spec.parallelism",
        "spec.selector",
        "spec.template",
    )
    assert kubernetes_replaces("Deployment") == (*named, "spec.selector")
    assert kubernetes_replaces("ClusterRoleBinding") == (*named, "roleRef")
    # Kinds without a forceNew list (a Namespace, a CRD, a custom resource),
    # and every Patch resource: only a new name replaces them.
    assert kubernetes_replaces("Namespace") == named
    assert kubernetes_replaces("MiniCluster") == named
    assert kubernetes_replaces("Job", patch=True) == named


def test_an_operator_object_follows_its_kinds_rules() -> None:
    assert lifecycle_of(OPERATOR, deployment().body).replace_paths == (
        "metadata.name",
        "metadata.namespace",
        "spec.selector",
    )
    new_selector = plan_update([deployment()], [deployment(selector="controller", image="op:2")])
    [step] = new_selector.steps
    assert step.action == "replace"
    assert step.because == ("spec.selector.matchLabels.app",)
    assert step.changed == ("spec.selector.matchLabels.app", "spec.template.spec.containers[0].image")
    new_image = plan_update([deployment()], [deployment(image="op:2")])
    [step] = new_image.steps
    assert (step.action, step.changed, step.because) == ("update", ("spec.template.spec.containers[0].image",), ())
    assert new_image.warnings == []


def test_every_reason_for_a_replacement_is_listed() -> None:
    moved = deployment(selector="controller")
    moved.body["metadata"]["namespace"] = "flux-system"
    plan = plan_update([deployment()], [moved])
    summary = describe(plan, before_label="A", after_label="B", hunks=False).splitlines()
    assert summary[1] == (
        "  +- replace  kubernetes:apps/v1:Deployment  x-operator-deployment"
        "  because metadata.namespace, spec.selector.matchLabels.app"
    )


def test_a_created_object_is_shown_whole_under_its_name() -> None:
    text = describe(plan_update([], [deployment()]), before_label="A", after_label="B", hunks=True).splitlines()
    assert text[:2] == [
        "--- A: kubernetes:apps/v1:Deployment x-operator-deployment",
        "+++ B: kubernetes:apps/v1:Deployment x-operator-deployment",
    ]
    assert "+  namespace: operator-system" in text
    assert not [line for line in text[3:] if line.startswith("-")]
    assert text[-2:] == [
        "   + create   kubernetes:apps/v1:Deployment  x-operator-deployment",
        "  1 to create; 0 unchanged",
    ]


def test_changed_paths_name_every_changed_item_and_quote_odd_keys() -> None:
    before = {"data": {"broker.toml": "a", "plain": "x"}, "items": [1, 2, 3], "grown": [1]}
    after = {"data": {"broker.toml": "b", "plain": "x", "new-key": 1}, "items": [9, 2, 8], "grown": [1, 2]}
    assert changed_paths(before, after) == ['data["broker.toml"]', "data.new-key", "items[0]", "items[2]", "grown"]
    assert changed_paths({"a": 1}, {"a": 1}) == []


def test_the_summary_counts_each_action_and_lists_deletions() -> None:
    gone = RenderedResource("kubernetes:core/v1:ConfigMap", "x-old", {"kind": "ConfigMap", "data": {"k": "v"}})
    plan = plan_update([deployment(), gone], [deployment(image="op:2")])
    text = describe(plan, before_label="A", after_label="B", hunks=True)
    lines = text.splitlines()
    assert lines[-3:] == [
        "   ~ update   kubernetes:apps/v1:Deployment  x-operator-deployment  spec.template.spec.containers[0].image",
        "   - delete   kubernetes:core/v1:ConfigMap   x-old",
        "  1 to update, 1 to delete; 0 unchanged",
    ]
    # The deleted object's hunk shows its lines going, under its own name.
    assert "--- A: kubernetes:core/v1:ConfigMap x-old" in lines
    assert "+++ B: kubernetes:core/v1:ConfigMap x-old" in lines
    assert "-  k: v" in lines
    assert describe(plan, before_label="A", after_label="B", hunks=False).splitlines() == lines[-3 - 1 :]


def test_certificate_stand_in_changes_exactly_when_the_certificate_would() -> None:
    spec = load_spec({"miniCluster": {"name": "lammps", "namespace": "l", "size": 2, "containers": [{"image": "a"}]}})
    digest = hashlib.sha256(b"v1:AAAA").hexdigest()
    assert certificate_stand_in(spec, "v1:AAAA") == f"<encrypted in the stack file: ciphertext sha256 {digest[:16]}>"
    generated = certificate_stand_in(spec, None)
    assert generated == "<generated for lammps-0 from random bytes pulumi up keeps in the stack state>"
    [secret] = [r for r in rendered_resources(spec, certificate=generated) if r.body["kind"] == "Secret"]
    assert generated in str(secret.body)


def test_rendered_operator_objects_carry_the_operator_role() -> None:
    spec = load_spec(
        {
            "miniCluster": {
                "name": "a",
                "namespace": "a",
                "size": 2,
                "backend": "operator",
                "containers": [{"image": "a"}],
            },
            "operator": {"install": True},
        }
    )
    roles = {r.role for r in rendered_resources(spec) if "-flux-operator-" in r.name}
    assert roles == {OPERATOR}


def test_flux_command_runs_the_words_after_it_in_rank_0() -> None:
    spec = load_spec({"miniCluster": {"name": "lammps", "namespace": "hpc", "size": 2, "containers": [{"image": "a"}]}})
    assert lead_broker(spec.mini_cluster).flux_command == (
        "kubectl exec -i -n hpc -c lammps "
        '"$(kubectl get pod -n hpc -l job-name=lammps,batch.kubernetes.io/job-completion-index=0 -o name)" -- '
        'sh -c \'. /mnt/flux/flux-view.sh && FLUX_URI="$fluxsocket" exec flux "$@"\' flux'
    )


def test_camel_case_is_how_pulumi_names_properties_outside_python() -> None:
    assert camel_case("disk_size_gb") == "diskSizeGb"
    assert camel_case("local_uri") == "localUri"
    assert camel_case("host") == "host"


def test_a_warning_names_every_reason_the_brokers_are_replaced() -> None:
    spec = load_spec({"miniCluster": {"name": "a", "namespace": "a", "size": 2, "containers": [{"image": "app:1"}]}})
    before = rendered_resources(spec, certificate="CERT")
    mc = spec.mini_cluster
    container = mc.containers[0].model_copy(update={"image": "app:2", "working_dir": "/work"})
    changed = spec.model_copy(update={"mini_cluster": mc.model_copy(update={"containers": [container]})})
    plan = plan_update(before, rendered_resources(changed, certificate="CERT"))
    assert plan.warnings == [
        "the running Flux instance is stopped and its jobs are lost: experiment-job is replaced "
        "(spec.template.spec.containers[0].image, spec.template.spec.containers[0].workingDir, "
        "experiment-flux-config is replaced)"
    ]
