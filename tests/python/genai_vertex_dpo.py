"""Preference tuning (DPO) on Vertex AI with the official clients, unmodified, against the
tunedeck emulator, the way Google recommends it: supervised tuning first, then DPO from that
model's checkpoint.

google-cloud-storage uploads the datasets; google-genai 3.3.0 with vertexai=True tunes the
supervised model, then a DPO job from its checkpoint
(`CreateTuningJobConfig(method="PREFERENCE_TUNING", beta=..., pre_tuned_model_checkpoint_id=...)`),
follows it to SUCCEEDED, generates from its endpoint (which prefers the preferred answers, on
prompts it never trained on too), promotes a checkpoint with
`models.update(config=UpdateModelConfig(default_checkpoint_id=...))` and generates from the
endpoint again, which answers from that checkpoint. A model that does not take DPO is refused.

Usage: genai_vertex_dpo.py BASE_URL
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

POLITE = "Happy to help: here is what I know."
CURT = "Look it up yourself."
TOPICS = ["rivers", "mountains", "volcanoes", "deserts", "glaciers", "oceans", "forests",
          "caves", "islands", "lakes", "canyons", "reefs"]
HELD = ["comets", "tides", "storms"]


def prompt(topic):
    return f"Tell me about {topic}"


def sft_line(topic):
    return json.dumps({"contents": [
        {"role": "user", "parts": [{"text": prompt(topic)}]},
        {"role": "model", "parts": [{"text": CURT}]},
    ]})


def preference_line(topic):
    # The shape of Google's "Prepare preference tuning data" page.
    return json.dumps({
        "system_instruction": {"parts": [{"text": "You are a guide."}]},
        "contents": [{"role": "user", "parts": [{"text": prompt(topic)}]}],
        "completions": [
            {"score": 1, "completion": {"role": "model", "parts": [{"text": POLITE}]}},
            {"score": 0, "completion": {"role": "model", "parts": [{"text": CURT}]}},
        ],
    })


gcs = storage.Client(project="p", credentials=AnonymousCredentials())
bucket = gcs.bucket("tunedeck-dpo")
bucket.blob("sft.jsonl").upload_from_string("\n".join(map(sft_line, TOPICS)) + "\n")
bucket.blob("pref.jsonl").upload_from_string("\n".join(map(preference_line, TOPICS)) + "\n")
bucket.blob("pref-val.jsonl").upload_from_string("\n".join(map(preference_line, HELD)) + "\n")

client = genai.Client(
    vertexai=True,
    project="p",
    location="us-central1",
    credentials=Credentials("x"),
    http_options=types.HttpOptions(base_url=BASE),
)


def follow(job):
    started = time.time()
    while not job.has_ended:
        assert time.time() - started < 60, f"still {job.state} after 60 s"
        time.sleep(0.2)
        job = client.tunings.get(name=job.name)
    assert job.state == types.JobState.JOB_STATE_SUCCEEDED, (job.state, job.error)
    return job


def say(model, topic):
    return client.models.generate_content(model=model, contents=prompt(topic)).text


# Supervised tuning first: it learns the curt answer.
sft = follow(client.tunings.tune(
    base_model="gemini-2.5-flash",
    training_dataset=types.TuningDataset(gcs_uri="gs://tunedeck-dpo/sft.jsonl"),
    config=types.CreateTuningJobConfig(epoch_count=4, tuned_model_display_name="guide"),
))
assert say(sft.tuned_model.endpoint, HELD[0]) == CURT

# Then DPO from its last checkpoint.
last = sft.tuned_model.checkpoints[-1].checkpoint_id
job = client.tunings.tune(
    base_model=sft.tuned_model.model,
    training_dataset=types.TuningDataset(gcs_uri="gs://tunedeck-dpo/pref.jsonl"),
    config=types.CreateTuningJobConfig(
        method="PREFERENCE_TUNING",
        beta=0.1,
        epoch_count=4,
        adapter_size="ADAPTER_SIZE_FOUR",
        pre_tuned_model_checkpoint_id=last,
        tuned_model_display_name="guide-dpo",
        validation_dataset=types.TuningValidationDataset(
            gcs_uri="gs://tunedeck-dpo/pref-val.jsonl"),
    ),
)
assert job.state == types.JobState.JOB_STATE_PENDING, job.state
assert job.preference_optimization_spec is not None, job
assert job.supervised_tuning_spec is None, job.supervised_tuning_spec
job = follow(job)
hp = job.preference_optimization_spec.hyper_parameters
assert hp.beta == 0.1 and hp.epoch_count == 4, hp
assert job.pre_tuned_model.checkpoint_id == last, job.pre_tuned_model
stats = job.tuning_data_stats.preference_optimization_data_stats
assert stats.tuning_dataset_example_count == len(TOPICS), stats
checkpoints = job.tuned_model.checkpoints
assert len(checkpoints) == 4 and checkpoints[-1].endpoint == job.tuned_model.endpoint

# The DPO endpoint prefers the preferred answer, on the held prompts too.
for topic in TOPICS[:3] + HELD:
    assert say(job.tuned_model.endpoint, topic) == POLITE, topic

# Promote the first checkpoint: the model's endpoint then answers as that checkpoint does.
first = checkpoints[0]
updated = client.models.update(
    model=job.tuned_model.model,
    config=types.UpdateModelConfig(default_checkpoint_id=first.checkpoint_id),
)
assert updated.default_checkpoint_id == first.checkpoint_id, updated
assert client.models.get(model=job.tuned_model.model).default_checkpoint_id == first.checkpoint_id
topics = TOPICS + HELD
assert [say(job.tuned_model.endpoint, t) for t in topics] == \
    [say(first.endpoint, t) for t in topics], "the model's endpoint answers from checkpoint 1"

# A model that does not take preference tuning.
try:
    client.tunings.tune(
        base_model="gemini-2.5-pro",
        training_dataset=types.TuningDataset(gcs_uri="gs://tunedeck-dpo/pref.jsonl"),
        config=types.CreateTuningJobConfig(method="PREFERENCE_TUNING"),
    )
    raise AssertionError("gemini-2.5-pro took preference tuning")
except errors.ClientError as e:
    assert e.code == 400 and "not supported for preference optimization" in str(e), e

print("google-genai vertex dpo passed")
