// LAMMPS on 8 compact-placed c2d-standard-112 nodes, SMT off (the lammps-cpu
// stack), from TypeScript. Run from this folder: `pulumi install` (it
// generates the @pulumi/flux-minicluster SDK from the package in Pulumi.yaml),
// `pulumi stack init dev`, `pulumi config set gcp:project YOUR-PROJECT`,
// `pulumi up`. Optionally bring your own CURVE certificate:
// `pulumi config set --secret curveCertificate < my.cert`.
import * as pulumi from "@pulumi/pulumi";
import * as flux from "@pulumi/flux-minicluster";

const config = new pulumi.Config();

const lammps = new flux.FluxMiniCluster("lammps", {
    nodePool: {
        cluster: "<your-gke-cluster>",
        location: "us-central1-a",
        zones: ["us-central1-a"],
        machineType: "c2d-standard-112",
        nodeCount: 8,
        compactPlacement: true,
        threadsPerCore: 1,
        gvnic: true,
        egressBandwidthTier: "TIER_1",
        labels: { experiment: "lammps-reaxff" },
    },
    miniCluster: {
        name: "lammps",
        namespace: "lammps",
        size: 8,
        maxSize: 8,
        tasks: 448,
        interactive: true,
        containers: [
            {
                image: "ghcr.io/converged-computing/metric-lammps:latest",
                workingDir: "/opt/lammps/examples/reaxff/HNS",
                environment: { OMPI_MCA_btl_vader_single_copy_mechanism: "none" },
            },
        ],
        flux: { queuePolicy: "fcfs" },
    },
    curveCertificate: config.getSecret("curveCertificate"),
});

export const leadBrokerHost = lammps.leadBrokerHost;
export const submitCommand = lammps.submitCommand;
export const shellCommand = lammps.leadBroker.shellCommand;
