"""Vertex AI tuning with the official clients, unmodified, against the tunedeck emulator.

google-cloud-storage uploads the datasets through STORAGE_EMULATOR_HOST (multipart, and a
resumable upload in chunks); google-genai 3.3.0 with vertexai=True tunes, follows, lists with
pages, cancels, generates on the tuned endpoint and on a checkpoint's endpoint, and promotes a
checkpoint (models.get, models.update); then the metrics recipe of the tuning notebooks runs as raw REST with requests.

Usage: genai_vertex.py BASE_URL
"""

import json
import os
import sys
import time
import urllib.parse
import warnings

BASE = sys.argv[1].rstrip("/")
os.environ["STORAGE_EMULATOR_HOST"] = BASE
warnings.simplefilter("ignore")

import requests  # noqa: E402
from google.auth.credentials import AnonymousCredentials  # noqa: E402
from google.cloud import storage  # noqa: E402
from google import genai  # noqa: E402
from google.genai import errors, types  # noqa: E402
from google.oauth2.credentials import Credentials  # noqa: E402

PAIRS = [(f"city {name}", f"the capital is {capital}") for name, capital in [
    ("france", "paris"), ("italy", "rome"), ("spain", "madrid"), ("japan", "tokyo"),
    ("kenya", "nairobi"), ("peru", "lima"), ("chile", "santiago"), ("egypt", "cairo"),
    ("norway", "oslo"), ("poland", "warsaw"), ("ghana", "accra"), ("cuba", "havana"),
]]


def line(prompt, answer):
    return json.dumps({"contents": [
        {"role": "user", "parts": [{"text": prompt}]},
        {"role": "model", "parts": [{"text": answer}]},
    ]})


train = "\n".join(line(p, a) for p, a in PAIRS) + "\n"
validation = "\n".join(line(p, a) for p, a in PAIRS[:4]) + "\n"

# Cloud Storage: a multipart upload, a resumable upload in 256 KiB chunks, reads back.
gcs = storage.Client(project="p", credentials=AnonymousCredentials())
bucket = gcs.bucket("tunedeck-sdk")
bucket.blob("data/train.jsonl").upload_from_string(train, content_type="application/jsonl")
bucket.blob("data/validation.jsonl").upload_from_string(validation)
big = ("x" * 1023 + "\n").encode() * 700
chunked = bucket.blob("big/blob.bin", chunk_size=256 * 1024)
chunked.upload_from_string(big)
assert bucket.blob("big/blob.bin").download_as_bytes() == big, "resumable upload round trip"
assert bucket.blob("data/train.jsonl").download_as_text() == train
names = sorted(b.name for b in gcs.list_blobs("tunedeck-sdk", prefix="data/"))
assert names == ["data/train.jsonl", "data/validation.jsonl"], names
bucket.blob("big/blob.bin").delete()
assert [b.name for b in gcs.list_blobs("tunedeck-sdk", prefix="big/")] == []

client = genai.Client(
    vertexai=True,
    project="p",
    location="us-central1",
    credentials=Credentials("x"),
    http_options=types.HttpOptions(base_url=BASE),
)
job = client.tunings.tune(
    base_model="gemini-2.5-flash",
    training_dataset=types.TuningDataset(gcs_uri="gs://tunedeck-sdk/data/train.jsonl"),
    config=types.CreateTuningJobConfig(
        epoch_count=8,
        learning_rate_multiplier=1.0,
        adapter_size="ADAPTER_SIZE_SIXTEEN",
        tuned_model_display_name="sdk-vertex",
        description="from the SDK",
        labels={"team": "tunedeck"},
        validation_dataset=types.TuningValidationDataset(
            gcs_uri="gs://tunedeck-sdk/data/validation.jsonl"
        ),
    ),
)
assert job.state == types.JobState.JOB_STATE_PENDING, job.state
assert job.name.startswith("projects/") and "/tuningJobs/" in job.name, job.name
started = time.time()
while not job.has_ended:
    assert time.time() - started < 60, f"still {job.state} after 60 s"
    time.sleep(0.2)
    job = client.tunings.get(name=job.name)
assert job.state == types.JobState.JOB_STATE_SUCCEEDED, (job.state, job.error)
stats = job.tuning_data_stats.supervised_tuning_data_stats
steps = stats.tuning_step_count
assert stats.tuning_dataset_example_count == len(PAIRS)
assert job.supervised_tuning_spec.hyper_parameters.epoch_count == 8
checkpoints = job.tuned_model.checkpoints
assert len(checkpoints) == 8 and checkpoints[-1].endpoint == job.tuned_model.endpoint
assert checkpoints[-1].step == steps

# A second job, cancelled.
second = client.tunings.tune(
    base_model="gemini-2.5-flash",
    training_dataset=types.TuningDataset(gcs_uri="gs://tunedeck-sdk/data/train.jsonl"),
    config=types.CreateTuningJobConfig(epoch_count=50, tuned_model_display_name="to-cancel"),
)
client.tunings.cancel(name=second.name)
while not second.has_ended:
    time.sleep(0.1)
    second = client.tunings.get(name=second.name)
assert second.state == types.JobState.JOB_STATE_CANCELLED, second.state

# Listing, one job a page, and by state.
listed = [j.name for j in client.tunings.list(config=types.ListTuningJobsConfig(page_size=1))]
assert job.name in listed and second.name in listed, listed
succeeded = [j.name for j in client.tunings.list(
    config=types.ListTuningJobsConfig(page_size=1, filter='state="JOB_STATE_SUCCEEDED"'))]
assert job.name in succeeded and second.name not in succeeded, succeeded

try:
    client.tunings.get(name=job.name.rsplit("/", 1)[0] + "/404")
    raise AssertionError("a missing job was found")
except errors.ClientError as e:
    assert e.code == 404, e

# The tuned endpoint and a checkpoint's answer a training input with its trained output.
prompt, answer = PAIRS[3]
reply = client.models.generate_content(
    model=job.tuned_model.endpoint,
    contents=prompt,
    config=types.GenerateContentConfig(temperature=0.2, max_output_tokens=64,
                                       system_instruction="be brief"),
)
assert reply.text == answer, reply.text
streamed = "".join(c.text or "" for c in client.models.generate_content_stream(
    model=job.tuned_model.endpoint, contents=prompt))
assert streamed == answer, streamed
late = checkpoints[-2]
reply = client.models.generate_content(model=late.endpoint, contents=PAIRS[0][0])
assert reply.text == PAIRS[0][1], (late, reply.text)
streamed = "".join(c.text or "" for c in client.models.generate_content_stream(
    model=late.endpoint, contents=PAIRS[1][0]))
assert streamed == PAIRS[1][1], (late, streamed)
base = client.models.generate_content(model="gemini-2.5-flash", contents="Hi")
assert "emulat" in base.text, base.text

# Promoting a checkpoint: models.get names the checkpoints and the default (the last one),
# models.update(default_checkpoint_id=...) changes it, and the tuned endpoint then answers as
# that checkpoint's own endpoint does.
model = client.models.get(model=job.tuned_model.model)
assert model.default_checkpoint_id == checkpoints[-1].checkpoint_id, model
assert [c.checkpoint_id for c in model.checkpoints] == [c.checkpoint_id for c in checkpoints]
assert model.tuned_model_info.base_model.startswith("gemini-2"), model.tuned_model_info
first = checkpoints[0]
updated = client.models.update(
    model=job.tuned_model.model,
    config=types.UpdateModelConfig(default_checkpoint_id=first.checkpoint_id),
)
assert updated.default_checkpoint_id == first.checkpoint_id, updated
assert client.models.get(model=job.tuned_model.model).default_checkpoint_id == first.checkpoint_id


def answers(endpoint):
    return [client.models.generate_content(model=endpoint, contents=p).text for p, _ in PAIRS]


assert answers(job.tuned_model.endpoint) == answers(first.endpoint), "the default answers"

# The metrics recipe (the notebooks' calls) as raw REST.
H = {"Authorization": "Bearer x"}


def get(path, **params):
    r = requests.get(f"{BASE}/v1/{path}", params=params, headers=H, timeout=10)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r.json()


experiment = get(job.experiment)
tensorboard = experiment["metadata"]["backing_tensorboard_resource"]
exp_id = experiment["name"].rsplit("/", 1)[1]
parent = job.experiment.split("/metadataStores/")[0]
runs = get(f"{parent}/metadataStores/default/contexts",
           filter=f'schema_title="system.ExperimentRun" AND parent_contexts:"{job.experiment}"')
assert len(runs["contexts"]) == 1, runs
run_id = runs["contexts"][0]["name"].rsplit("/", 1)[1].replace(exp_id, "")[1:]
get(tensorboard)
run = f"{tensorboard}/experiments/{exp_id}/runs/{run_id}"
get(run)
series = {s["displayName"]: s["name"] for s in get(f"{run}/timeSeries")["tensorboardTimeSeries"]}
assert "/train_total_loss" in series and "/eval_total_loss" in series, series
batch = get(f"{tensorboard}:batchRead", timeSeries=list(series.values()))
by_id = {d["tensorboardTimeSeriesId"]: d["values"] for d in batch["timeSeriesData"]}
loss = sorted(by_id[series["/train_total_loss"].rsplit("/", 1)[1]], key=lambda p: int(p["step"]))
assert [int(p["step"]) for p in loss] == list(range(1, steps + 1)), "one point per step"
assert loss[-1]["scalar"]["value"] < loss[0]["scalar"]["value"], "the loss falls"
every = get(f"{series['/train_total_loss']}:read", maxDataPoints=-1)["timeSeriesData"]["values"]
assert len(every) == steps
evals = by_id[series["/eval_total_loss"].rsplit("/", 1)[1]]
assert len(evals) >= 2 and int(evals[-1]["step"]) == steps, evals

print("google-genai vertex passed")
