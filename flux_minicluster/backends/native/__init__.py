"""The native backend: a ConfigMap with the broker config and start scripts, a
headless Service and an Indexed Job whose pods are the ranks."""
