"""The current official SDK, google-genai 3.3.0, unmodified, against the tunedeck emulator.

What it can do on the Gemini API (google-genai's tunings and models modules): read, update and list tuned models, and
generate (whole and streamed) with a tuned model; its `tunings.tune` drops the training
examples since v1.47.0, so the service (and the emulator) refuse it with a 400 naming the
missing training data. Usage: genai_client.py BASE_URL
"""
import sys

from google import genai
from google.genai import errors, types

client = genai.Client(api_key="any-key", http_options={"base_url": sys.argv[1], "api_version": "v1beta"})
model = "tunedModels/number-generator-demo"

assert client.models.get(model=model).display_name == "Number generator (demo)"
assert client.models.generate_content(model=model, contents="seven").text == "eight"
streamed = "".join(chunk.text or "" for chunk in client.models.generate_content_stream(model=model, contents="seven"))
assert streamed == "eight", streamed
config = types.GenerateContentConfig(
    temperature=0.5, top_p=0.9, max_output_tokens=20, stop_sequences=["zzz"],
    safety_settings=[types.SafetySetting(category="HARM_CATEGORY_HARASSMENT", threshold="BLOCK_NONE")],
)
assert client.models.generate_content(model=model, contents="seven", config=config).text == "eight"
names = [m.name for m in client.models.list(config={"query_base": False, "page_size": 10})]
assert model in names, names
assert client.models.update(model=model, config={"description": "via google-genai"}).description == "via google-genai"
assert client.models.count_tokens(model="models/gemini-1.5-flash-001-tuning", contents="seven eight").total_tokens > 0
try:
    client.tunings.tune(
        base_model="models/gemini-1.5-flash-001-tuning",
        training_dataset=types.TuningDataset(examples=[types.TuningExample(text_input="a", output="b")]),
        config=types.CreateTuningJobConfig(epoch_count=1, batch_size=1, learning_rate=0.001),
    )
    raise AssertionError("google-genai 3.3.0 sends no examples; the emulator must refuse it")
except errors.ClientError as e:
    assert e.code == 400 and "Training data is required" in str(e), e
client.models.delete(model=model)
try:
    client.models.get(model=model)
    raise AssertionError("deleted")
except errors.ClientError as e:
    assert e.code == 404, e
print("google-genai client passed")
