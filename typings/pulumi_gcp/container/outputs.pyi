from collections.abc import Sequence

class GetClusterMasterAuthResult:
    @property
    def cluster_ca_certificate(self) -> str: ...

class GetClusterWorkloadIdentityConfigResult:
    @property
    def workload_pool(self) -> str: ...

class GetClusterAddonsConfigGcsFuseCsiDriverConfigResult:
    @property
    def enabled(self) -> bool: ...

class GetClusterAddonsConfigResult:
    @property
    def gcs_fuse_csi_driver_configs(self) -> Sequence[GetClusterAddonsConfigGcsFuseCsiDriverConfigResult]: ...
