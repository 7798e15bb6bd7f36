"""What GKE, Compute Engine and Kubernetes accept, as data, one module per domain.

- ``machines``: machine types, their vCPUs, memory, built-in GPUs and features;
- ``gpus``: GPUs attached to N1 machines and GPU sharing limits;
- ``disks``: boot disk types each machine series takes;
- ``locations``: regions, zones and the forms of a GKE cluster id;
- ``allocatable``: what a GKE node leaves to pods after its own reservations;
- ``storage``: the storage classes GKE ships and what they can give;
- ``quantities``: Kubernetes quantities as exact numbers.

Each fact carries its source in a comment. The spec asks these modules; no
rule is written twice.
"""
