"""The loss-curve recipe of Google's tuning notebooks (google-cloud-aiplatform's Experiment and TensorBoard reads), run unmodified
with google-cloud-aiplatform's REST transport against the tunedeck emulator.

The job is made first with plain REST (an upload and a create), then followed to the end.

Usage: aiplatform_metrics.py BASE_URL
"""

import json
import sys
import time
import warnings

warnings.simplefilter("ignore")

import requests  # noqa: E402
from google.cloud import aiplatform  # noqa: E402
from google.cloud.aiplatform.metadata import context  # noqa: E402
from google.cloud.aiplatform.metadata import utils as metadata_utils  # noqa: E402
from google.oauth2.credentials import Credentials  # noqa: E402

BASE = sys.argv[1].rstrip("/")
H = {"Authorization": "Bearer x"}

lines = "".join(
    json.dumps({"contents": [
        {"role": "user", "parts": [{"text": f"word {w}"}]},
        {"role": "model", "parts": [{"text": w.upper()}]},
    ]}) + "\n"
    for w in ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
)
r = requests.post(f"{BASE}/upload/storage/v1/b/recipe/o", params={"uploadType": "media", "name": "t.jsonl"},
                  data=lines.encode(), headers=H, timeout=10)
assert r.status_code == 200, r.text
r = requests.post(f"{BASE}/v1/projects/recipe/locations/us-central1/tuningJobs", headers=H, timeout=10, json={
    "baseModel": "gemini-2.5-flash",
    "supervisedTuningSpec": {"trainingDatasetUri": "gs://recipe/t.jsonl",
                             "validationDatasetUri": "gs://recipe/t.jsonl",
                             "hyperParameters": {"epochCount": 5}},
})
assert r.status_code == 200, r.text
job = r.json()
started = time.time()
while job["state"] not in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"):
    assert time.time() - started < 60, job["state"]
    time.sleep(0.1)
    job = requests.get(f"{BASE}/v1/{job['name']}", headers=H, timeout=10).json()
assert job["state"] == "JOB_STATE_SUCCEEDED", job
steps = int(job["tuningDataStats"]["supervisedTuningDataStats"]["tuningStepCount"])
project = job["name"].split("/")[1]

aiplatform.init(project=project, location="us-central1", api_transport="rest",
                api_endpoint=BASE, credentials=Credentials("x"))
# The notebook's cells, as written there.
experiment = aiplatform.Experiment(experiment_name=job["experiment"])
filter_str = metadata_utils._make_filter_string(
    schema_title="system.ExperimentRun",
    parent_contexts=[experiment.resource_name],
)
experiment_run = context.Context.list(filter_str)[0]
tensorboard_run_name = (
    f"{experiment.get_backing_tensorboard_resource().resource_name}"
    f"/experiments/{experiment.name}"
    f"/runs/{experiment_run.name.replace(experiment.name, '')[1:]}"
)
tensorboard_run = aiplatform.TensorboardRun(tensorboard_run_name)
metrics = tensorboard_run.read_time_series_data()
loss = sorted(metrics["/train_total_loss"].values, key=lambda v: v.step)
assert [v.step for v in loss] == list(range(1, steps + 1)), [v.step for v in loss]
assert loss[-1].scalar.value < loss[0].scalar.value, "the loss falls"
assert "/eval_total_loss" in metrics, list(metrics)
print("aiplatform recipe passed")
