"""Open-model tuning with google-genai 3.3.0, unmodified, against the tunedeck emulator.

google-cloud-storage uploads the dataset through STORAGE_EMULATOR_HOST; google-genai with
vertexai=True (which speaks v1beta1) tunes Llama 3.1 8B Instruct with an adapter and Llama
3.2 1B Instruct in full (tuning_mode, batch_size, learning_rate, output_uri), follows both to
SUCCEEDED, reads the tuned weights under output_uri, generates from the tuned endpoint, and
meets the service's refusals (no output_uri; a learning-rate multiplier on an open model).

Usage: genai_vertex_open.py BASE_URL
"""

import json
import os
import sys
import time
import warnings

BASE = sys.argv[1].rstrip("/")
os.environ["STORAGE_EMULATOR_HOST"] = BASE
warnings.simplefilter("ignore")

from google.auth.credentials import AnonymousCredentials  # noqa: E402
from google.cloud import storage  # noqa: E402
from google import genai  # noqa: E402
from google.genai import errors, types  # noqa: E402
from google.oauth2.credentials import Credentials  # noqa: E402

PAIRS = [("city france", "paris"), ("city italy", "rome"), ("city spain", "madrid"),
         ("city japan", "tokyo"), ("city peru", "lima"), ("city cuba", "havana")]
train = "".join(json.dumps({"contents": [
    {"role": "user", "parts": [{"text": q}]},
    {"role": "model", "parts": [{"text": a}]},
]}) + "\n" for q, a in PAIRS)

gcs = storage.Client(project="p", credentials=AnonymousCredentials())
bucket = gcs.bucket("tunedeck-open")
bucket.blob("data/train.jsonl").upload_from_string(train, content_type="application/jsonl")

client = genai.Client(
    vertexai=True,
    project="p",
    location="us-central1",
    credentials=Credentials("x"),
    http_options=types.HttpOptions(base_url=BASE),
)
dataset = types.TuningDataset(gcs_uri="gs://tunedeck-open/data/train.jsonl")

jobs = {}
for model, mode, folder in [
    ("meta/llama3_1@llama-3.1-8b-instruct", types.TuningMode.TUNING_MODE_PEFT_ADAPTER, "adapter"),
    ("meta/llama3-2@llama-3.2-1b-instruct", types.TuningMode.TUNING_MODE_FULL, "full"),
]:
    jobs[folder] = client.tunings.tune(
        base_model=model,
        training_dataset=dataset,
        config=types.CreateTuningJobConfig(
            epoch_count=20,
            tuning_mode=mode,
            batch_size=2,
            learning_rate=3e-4,
            output_uri=f"gs://tunedeck-open/out/{folder}",
            tuned_model_display_name=f"open-{folder}",
        ),
    )
    assert jobs[folder].state == types.JobState.JOB_STATE_PENDING, jobs[folder].state

for folder, job in jobs.items():
    started = time.time()
    while not job.has_ended:
        assert time.time() - started < 120, f"{folder}: still {job.state} after 120 s"
        time.sleep(0.2)
        job = client.tunings.get(name=job.name)
    assert job.state == types.JobState.JOB_STATE_SUCCEEDED, (folder, job.state, job.error)
    spec = job.supervised_tuning_spec
    assert spec.hyper_parameters.batch_size == 2, spec
    assert spec.hyper_parameters.learning_rate == 3e-4, spec
    assert job.output_uri == f"gs://tunedeck-open/out/{folder}", job.output_uri
    names = sorted(b.name for b in gcs.list_blobs("tunedeck-open", prefix=f"out/{folder}/"))
    weights = "adapter_model.safetensors" if folder == "adapter" else "model.safetensors"
    assert any(n.endswith(weights) for n in names), names
    prompt, answer = PAIRS[1]
    reply = client.models.generate_content(model=job.tuned_model.endpoint, contents=prompt)
    assert reply.text == answer, (folder, reply.text)
    jobs[folder] = job

assert jobs["adapter"].supervised_tuning_spec.tuning_mode == types.TuningMode.TUNING_MODE_PEFT_ADAPTER
assert jobs["full"].supervised_tuning_spec.tuning_mode == types.TuningMode.TUNING_MODE_FULL

for config, says in [
    (types.CreateTuningJobConfig(tuning_mode=types.TuningMode.TUNING_MODE_FULL), "output_uri is required"),
    (types.CreateTuningJobConfig(output_uri="gs://tunedeck-open/out/x", learning_rate_multiplier=2.0),
     "learning_rate_multiplier is not supported"),
]:
    try:
        client.tunings.tune(base_model="meta/llama3_1@llama-3.1-8b", training_dataset=dataset,
                            config=config)
        raise AssertionError(f"accepted: {config}")
    except errors.ClientError as e:
        assert e.code == 400 and says in str(e), e

print("google-genai vertex open models passed")
