import os

from hypothesis import HealthCheck, settings

# Modest example counts keep the whole suite well under a few minutes on two
# cores; CI runs a fixed (derandomized) set so a red run reproduces.
settings.register_profile(
    "glukit",
    max_examples=int(os.environ.get("GLUKIT_HYPOTHESIS_EXAMPLES", "300")),
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile("glukit")
