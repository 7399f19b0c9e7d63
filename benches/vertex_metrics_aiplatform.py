"""google-cloud-aiplatform's loss-curve recipe (the tuning notebooks')
reading a finished job's metrics from a running tunedeck emulator: requests, bytes, seconds,
points. The benchmark `cargo bench --bench vertex_metrics` runs it on its 10,000-step job when
the venv has the SDK.

Usage: vertex_metrics_aiplatform.py BASE_URL EXPERIMENT PROJECT_NUMBER
"""

import sys
import time
import warnings

warnings.simplefilter("ignore")

import requests  # noqa: E402

counted = {"requests": 0, "bytes": 0}
_send = requests.Session.send


def counting_send(self, request, **kwargs):
    response = _send(self, request, **kwargs)
    counted["requests"] += 1
    counted["bytes"] += len(response.content)
    return response


requests.Session.send = counting_send

from google.cloud import aiplatform  # noqa: E402
from google.cloud.aiplatform.metadata import context  # noqa: E402
from google.cloud.aiplatform.metadata import utils as metadata_utils  # noqa: E402
from google.oauth2.credentials import Credentials  # noqa: E402

base, experiment_name, project = sys.argv[1], sys.argv[2], sys.argv[3]
aiplatform.init(project=project, location="us-central1", api_transport="rest",
                api_endpoint=base, credentials=Credentials("x"))
started = time.perf_counter()
experiment = aiplatform.Experiment(experiment_name=experiment_name)
filter_str = metadata_utils._make_filter_string(
    schema_title="system.ExperimentRun", parent_contexts=[experiment.resource_name])
experiment_run = context.Context.list(filter_str)[0]
run_name = (f"{experiment.get_backing_tensorboard_resource().resource_name}"
            f"/experiments/{experiment.name}"
            f"/runs/{experiment_run.name.replace(experiment.name, '')[1:]}")
metrics = aiplatform.TensorboardRun(run_name).read_time_series_data()
took = time.perf_counter() - started
points = sum(len(series.values) for series in metrics.values())
print(f"{counted['requests']} {counted['bytes']} {took * 1000:.1f} {points}")
