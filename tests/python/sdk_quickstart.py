"""The official google-generativeai 0.8.6 tuning quickstart, run against the tunedeck emulator.

Usage: python sdk_quickstart.py http://127.0.0.1:PORT

Follows the SDK tutorial: create a tuned model from the tutorial's 15 examples, follow it with
wait_bar() to the end, read the loss snapshots, list, get, update the description, generate,
meet the live v1beta's 404 for a second job's cancel(), delete. Exits non-zero with a message on the first thing that differs.
"""

import sys
import time
import warnings

warnings.simplefilter("ignore", FutureWarning)

import google.generativeai as genai  # noqa: E402
from google.api_core import exceptions  # noqa: E402

endpoint = sys.argv[1]
genai.configure(api_key="any-key", transport="rest", client_options={"api_endpoint": endpoint})

training_data = [
    {"text_input": "1", "output": "2"},
    {"text_input": "3", "output": "4"},
    {"text_input": "-3", "output": "-2"},
    {"text_input": "twenty two", "output": "twenty three"},
    {"text_input": "two hundred", "output": "two hundred one"},
    {"text_input": "ninety nine", "output": "one hundred"},
    {"text_input": "8", "output": "9"},
    {"text_input": "-98", "output": "-97"},
    {"text_input": "1,000", "output": "1,001"},
    {"text_input": "10,100,000", "output": "10,100,001"},
    {"text_input": "thirteen", "output": "fourteen"},
    {"text_input": "eighty", "output": "eighty one"},
    {"text_input": "one", "output": "two"},
    {"text_input": "three", "output": "four"},
    {"text_input": "seven", "output": "eight"},
]


def check(condition, message):
    if not condition:
        print("FAILED:", message)
        sys.exit(1)
    print("ok:", message)


base_model = [m for m in genai.list_models() if "createTunedModel" in m.supported_generation_methods][0]
check(base_model.name == "models/gemini-1.5-flash-001-tuning", f"first tunable base model is {base_model.name}")

name = "generate-num-sdk"
operation = genai.create_tuned_model(
    source_model=base_model.name,
    training_data=training_data,
    id=name,
    epoch_count=5,
    batch_size=4,
    learning_rate=0.001,
)
check(operation.metadata.total_steps == 19, f"total_steps {operation.metadata.total_steps} == ceil(15*5/4)")

model = genai.get_tuned_model(f"tunedModels/{name}")
check(model.state.name == "CREATING", f"state right after create is {model.state.name}")

for status in operation.wait_bar():
    time.sleep(0.05)

result = operation.result()
check(result.state.name == "ACTIVE", f"final state {result.state.name}")
snapshots = result.tuning_task.snapshots
check(len(snapshots) == 19, f"{len(snapshots)} snapshots, one per step")
check(snapshots[-1]["epoch"] == 5, f"last snapshot epoch {snapshots[-1]['epoch']}")
check(snapshots[-1]["mean_loss"] < snapshots[0]["mean_loss"], f"loss fell from {snapshots[0]['mean_loss']:.3f} to {snapshots[-1]['mean_loss']:.3f}")
check(result.temperature == 1 and result.top_k == 64, "sampling defaults copied from the base model")

names = [m.name for m in genai.list_tuned_models()]
check(f"tunedModels/{name}" in names, f"list_tuned_models includes it ({len(names)} models)")

genai.update_tuned_model(f"tunedModels/{name}", {"description": "updated by the SDK"})
check(genai.get_tuned_model(f"tunedModels/{name}").description == "updated by the SDK", "description updated")

answer = genai.GenerativeModel(model_name=f"tunedModels/{name}").generate_content("seven")
check(answer.text == "eight", f"generate_content('seven') -> {answer.text!r}")

try:
    genai.create_tuned_model(source_model=base_model.name, training_data=training_data, id=name)
    check(False, "a duplicate id is refused")
except exceptions.Conflict as e:
    # Over REST, google-api-core maps every HTTP 409 to Conflict (AlreadyExists is for gRPC).
    check("already exists" in str(e), "a duplicate id is refused with 409 ALREADY_EXISTS")

second = genai.create_tuned_model(
    source_model=base_model.name, training_data=training_data * 20, id="cancel-me", epoch_count=50
)
# The SDK's cancel() posts to /v1beta/…/operations/…:cancel, which the live v1beta does not bind:
# it answers 404 there, and so does the emulator (cancel is v1's). The job runs on.
try:
    second.cancel()
    check(False, "cancel() on v1beta is refused")
except exceptions.NotFound:
    pass
second.update()
check(not second.cancelled(), "the refused cancel() leaves the operation running")

genai.delete_tuned_model(f"tunedModels/{name}")
genai.delete_tuned_model("tunedModels/cancel-me")
try:
    genai.get_tuned_model(f"tunedModels/{name}")
    check(False, "deleted model is gone")
except exceptions.NotFound as e:
    check("does not exist" in str(e), "get after delete raises NotFound")

print("SDK quickstart passed")
