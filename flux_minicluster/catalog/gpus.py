"""GPUs a node can carry: attached to N1 machines, and GPU sharing limits.

Sources: Compute Engine "GPU machine types", section "N1 general-purpose
machine types with attached GPUs" (counts and the vCPUs allowed with each
count), and GKE "Share GPUs with multiple workloads using GPU time-sharing"
and "... using NVIDIA MPS" (up to 48 clients per GPU; a container that uses a
shared GPU may request only one ``nvidia.com/gpu``).
"""

from __future__ import annotations

#: For each GPU attachable to N1: GPUs per VM -> most vCPUs the VM may have.
N1_GPU_VCPU_LIMITS: dict[str, dict[int, int]] = {
    "nvidia-tesla-t4": {1: 48, 2: 48, 4: 96},
    "nvidia-tesla-v100": {1: 12, 2: 24, 4: 48, 8: 96},
    "nvidia-tesla-p100": {1: 16, 2: 32, 4: 64},
    "nvidia-tesla-p4": {1: 24, 2: 48, 4: 96},
}

#: GPUs that can be attached to N1 machines.
N1_ATTACHABLE_GPUS = frozenset(N1_GPU_VCPU_LIMITS)

#: Most containers sharing one GPU, for time-sharing and for MPS.
MAX_SHARED_CLIENTS_PER_GPU = 48

#: GPUs one container may request on a node whose GPUs are shared.
MAX_GPUS_PER_CONTAINER_WHEN_SHARED = 1
