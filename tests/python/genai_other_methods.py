"""Distillation and reinforcement tuning with google-genai 3.3.0 (vertexai=True), unmodified,
against the tunedeck emulator: `tunings.tune` with `method="DISTILLATION"` (a base teacher) and
`method="REINFORCEMENT_TUNING"` (a string-match reward), each followed to SUCCEEDED with
`tunings.get`, and the reinforced model's endpoint answering a rewarded answer.

Usage: genai_other_methods.py BASE_URL
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
from google.genai import types  # noqa: E402
from google.oauth2.credentials import Credentials  # noqa: E402

prompts = "".join(
    json.dumps({"contents": [{"role": "user", "parts": [{"text": f"capital of land {i}?"}]}],
                "references": {"answer": f"city {i}"}}) + "\n"
    for i in range(6)
)
gcs = storage.Client(project="p", credentials=AnonymousCredentials())
gcs.bucket("tunedeck-methods").blob("prompts.jsonl").upload_from_string(prompts)

client = genai.Client(
    vertexai=True,
    project="p",
    location="us-central1",
    credentials=Credentials("x"),
    http_options=types.HttpOptions(base_url=BASE, api_version="v1beta1"),
)
dataset = types.TuningDataset(gcs_uri="gs://tunedeck-methods/prompts.jsonl")


def followed(job):
    for _ in range(3000):
        job = client.tunings.get(name=job.name)
        if job.has_ended:
            return job
        time.sleep(0.02)
    raise AssertionError(f"{job.name} never ended")


distilled = client.tunings.tune(
    base_model="gemini-2.5-flash",
    training_dataset=dataset,
    config=types.CreateTuningJobConfig(
        method="DISTILLATION",
        base_teacher_model="gemini-3.1-pro",
        epoch_count=2,
        tuned_model_display_name="sdk-distilled",
    ),
)
distilled = followed(distilled)
assert distilled.state == types.JobState.JOB_STATE_SUCCEEDED, distilled
assert distilled.distillation_spec.base_teacher_model == "gemini-3.1-pro", distilled.distillation_spec
assert distilled.distillation_spec.prompt_dataset_uri == "gs://tunedeck-methods/prompts.jsonl"
assert distilled.supervised_tuning_spec is None

reward = types.SingleReinforcementTuningRewardConfig(
    reward_name="exact-answer",
    string_match_reward_scorer=types.ReinforcementTuningStringMatchRewardScorer(
        correct_answer_reward=1.0,
        wrong_answer_reward=-1.0,
        string_match_expression=types.ReinforcementTuningStringMatchRewardScorerStringMatchExpression(
            match_operation="EXACT_MATCH", expression="{{references.answer}}"
        ),
    ),
)
rewarded = client.tunings.tune(
    base_model="gemini-2.5-flash",
    training_dataset=dataset,
    config=types.CreateTuningJobConfig(
        method="REINFORCEMENT_TUNING",
        reward_config=reward,
        samples_per_prompt=4,
        epoch_count=20,
        tuned_model_display_name="sdk-rewarded",
    ),
)
rewarded = followed(rewarded)
assert rewarded.state == types.JobState.JOB_STATE_SUCCEEDED, rewarded
spec = rewarded.reinforcement_tuning_spec
assert spec.single_reward_config.reward_name == "exact-answer", spec
names = [j.name for j in client.tunings.list()]
assert distilled.name in names and rewarded.name in names, names

answer = client.models.generate_content(
    model=rewarded.tuned_model.endpoint, contents="capital of land 2?"
)
assert "city" in answer.text, answer.text
print("google-genai other methods passed")
