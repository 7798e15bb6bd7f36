"""What a Flux broker reads: the Flux tree's paths and ports, the broker config
(TOML) and the CURVE certificate. Flux knowledge only: no spec, no Kubernetes
objects, so every layer above can use it."""
