#!/usr/bin/env python3
"""Checks a folder of MTEB results the way mteb's result loader reads it (mteb is not needed).

    check-mteb-results.py check <results folder>    one JSON summary line on stdout; problems on stderr, exit 1
    check-mteb-results.py names '<JSON list of kwargs>'   MTEB's experiment folder name of each, as a JSON list

What is checked, after mteb/cache/result_cache.py (ResultCache.get_cache_paths, load_results,
_get_model_name_and_revision_from_path), mteb/results/task_result.py (TaskResult and its score
validator) and mteb/models/model_meta.py (ModelMeta, _serialize_experiment_kwargs_to_name):
- the loader's globs find every task file: <model>/<revision>/<task>.json and
  <model>/<revision>/experiments/<experiment>/<task>.json; no other JSON lies around unread;
- each task file is a TaskResult as pydantic validates it, in the current format (mteb_version
  present, so it is not taken for the pre-1.11 one): dataset_revision and task_name strings,
  mteb_version a string or null, evaluation_time and kg_co2_emissions numbers or null, scores as
  split -> list of subset objects each with main_score, hf_subset (string) and languages (list of
  strings); the file's name is the task's (the loader filters tasks by file name);
- a model_meta.json beside each set of task files (required by default) with ModelMeta's fields and
  no others, a name 'organization/model' whose path form is the model folder, the revision of its
  folder, output_dtypes among MTEB's OutputDType values, and experiment_kwargs whose serialized
  name is the experiment folder (none outside experiments/).
"""
import hashlib
import json
import sys
from pathlib import Path

EXPERIMENTS = "experiments"
INVALID_CHARS = set('<>:"|?*\\/\0')
OUTPUT_DTYPES = {"float16", "bfloat16", "int8", "int4", "uint8", "uint4", "binary",
                 "float8_e4m3fn", "float8_e5m2", "float8_e8m0fnu", "float8_e4m3fnuz", "float8_e5m2fnuz"}
# ModelMeta's fields without a default (pydantic requires them) and those with one
META_REQUIRED = {"loader", "name", "revision", "release_date", "languages", "n_parameters", "memory_usage_mb",
                 "max_tokens", "embed_dim", "license", "open_weights", "public_training_code", "public_training_data",
                 "framework", "similarity_fn_name", "use_instructions", "training_datasets"}
META_OPTIONAL = {"loader_kwargs", "n_active_parameters_override", "n_embedding_parameters", "reference", "adapted_from",
                 "superseded_by", "modalities", "model_type", "citation", "contacts", "experiment_kwargs", "output_dtypes",
                 "extra_requirements_groups",
                 "is_cross_encoder"}  # written by ModelMeta.to_dict, removed by its legacy validator on reading
SIMILARITY_NAMES = {None, "cosine", "dot", "MaxSim"}  # what ModelMeta's similarity_fn_name validator accepts as a string
TASK_RESULT_FIELDS = {"dataset_revision", "task_name", "mteb_version", "scores", "evaluation_time", "kg_co2_emissions",
                      "date", "evaluation_phases"}


def experiment_name(kwargs, value_sep="_", kwargs_sep="__"):
    """mteb's _serialize_experiment_kwargs_to_name for JSON values."""
    if not kwargs:
        return None

    def value(v):
        if isinstance(v, (str, int, float, bool)) or v is None:
            s = str(v)
            for c in INVALID_CHARS:
                s = s.replace(c, "_")
            return s
        if isinstance(v, (list, tuple)):
            return "[" + ",".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ",".join(f"{k}:{value(x)}" for k, x in sorted(v.items())) + "}"
        raise ValueError(f"experiment_kwargs holds a {type(v).__name__}")

    text = kwargs_sep.join(f"{k}{value_sep}{value(v)}" for k, v in sorted(kwargs.items()))
    if len(text) > 200 or any(c in INVALID_CHARS for c in text):
        return "exp_" + hashlib.sha256(text.encode()).hexdigest()[:16]
    return text


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_task_file(path, problems):
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        problems.append(f"{path}: not JSON ({e})")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: not a JSON object")
        return None
    if "mteb_version" not in data:
        problems.append(f"{path}: no mteb_version key, so mteb reads it as the pre-1.11 format")
    for key in ("dataset_revision", "task_name"):
        if not isinstance(data.get(key), str):
            problems.append(f"{path}: {key} must be a string")
    if not (data.get("mteb_version") is None or isinstance(data.get("mteb_version"), str)):
        problems.append(f"{path}: mteb_version must be a string or null")
    for key in ("evaluation_time", "kg_co2_emissions"):
        if key == "evaluation_time" and key not in data:
            problems.append(f"{path}: evaluation_time is required (a number or null)")
        elif not (data.get(key) is None or is_number(data.get(key))):
            problems.append(f"{path}: {key} must be a number or null")
    extra = set(data) - TASK_RESULT_FIELDS
    if extra:
        problems.append(f"{path}: keys TaskResult does not have: {sorted(extra)}")
    if isinstance(data.get("task_name"), str) and path.stem != data["task_name"]:
        problems.append(f"{path}: the file name is not the task name {data['task_name']!r}")
    scores = data.get("scores")
    if not isinstance(scores, dict) or not scores:
        problems.append(f"{path}: scores must be an object of splits")
        return data
    for split, subsets in scores.items():
        if not isinstance(subsets, list) or not subsets:
            problems.append(f"{path}: scores[{split!r}] must be a non-empty list of subset scores")
            continue
        for i, s in enumerate(subsets):
            at = f"{path}: scores[{split!r}][{i}]"
            if not isinstance(s, dict):
                problems.append(f"{at} must be an object")
                continue
            if "main_score" not in s:
                problems.append(f"{at} has no main_score")
            elif not is_number(s["main_score"]):
                problems.append(f"{at}: main_score must be a number")
            if not isinstance(s.get("hf_subset"), str):
                problems.append(f"{at}: hf_subset must be a string")
            if not isinstance(s.get("languages"), list) or not all(isinstance(l, str) for l in s["languages"]):
                problems.append(f"{at}: languages must be a list of strings")
    return data


def check_model_meta(folder, model_dir, revision_dir, experiment, problems):
    path = folder / "model_meta.json"
    if not path.exists():
        problems.append(f"{folder}: no model_meta.json, so the loader skips these results")
        return None
    meta = json.loads(path.read_text(encoding="utf-8"))
    missing = META_REQUIRED - set(meta)
    extra = set(meta) - META_REQUIRED - META_OPTIONAL
    if missing:
        problems.append(f"{path}: ModelMeta fields missing: {sorted(missing)}")
    if extra:
        problems.append(f"{path}: fields ModelMeta forbids: {sorted(extra)}")
    name, revision = meta.get("name"), meta.get("revision")
    if not isinstance(name, str) or "/" not in name:
        problems.append(f"{path}: name must be 'organization/model_name', got {name!r}")
    elif name.replace("/", "__").replace(" ", "_") != model_dir:
        problems.append(f"{path}: name {name!r} does not give the model folder {model_dir!r}")
    if revision != revision_dir:
        problems.append(f"{path}: revision {revision!r} is not its folder {revision_dir!r}")
    if meta.get("similarity_fn_name") not in SIMILARITY_NAMES:
        problems.append(f"{path}: similarity_fn_name {meta.get('similarity_fn_name')!r} is not one ModelMeta reads")
    if not isinstance(meta.get("framework", []), list):
        problems.append(f"{path}: framework must be a list")
    dtypes = meta.get("output_dtypes")
    for d in ([dtypes] if isinstance(dtypes, str) else dtypes or []):
        if d not in OUTPUT_DTYPES:
            problems.append(f"{path}: output_dtypes {d!r} is not an MTEB OutputDType")
    kwargs = meta.get("experiment_kwargs")
    derived = experiment_name(kwargs)
    if derived != experiment:
        problems.append(f"{path}: experiment_kwargs {kwargs!r} name the experiment {derived!r}, its folder says {experiment!r}")
    return meta


def check(root):
    problems = []
    root = Path(root)
    # the loader's globs (ResultCache.get_cache_paths)
    plain = [p for p in root.glob("*/*/*.json") if p.name != "model_meta.json"]
    experiments = [p for p in root.glob(f"*/*/{EXPERIMENTS}/*/*.json") if p.name != "model_meta.json"]
    found = set(plain) | set(experiments)
    for p in root.rglob("*.json"):
        if p.name != "model_meta.json" and p not in found:
            problems.append(f"{p}: not where MTEB's loader looks (<model>/<revision>/[experiments/<name>/]<task>.json)")
    models, runs, tasks = set(), {}, set()
    for p in sorted(found):
        in_experiment = p in experiments
        folder = p.parent
        if in_experiment:
            model_dir, revision_dir, experiment = folder.parent.parent.parent.name, folder.parent.parent.name, folder.name
        else:
            model_dir, revision_dir, experiment = folder.parent.name, folder.name, None
        data = check_task_file(p, problems)
        meta = check_model_meta(folder, model_dir, revision_dir, experiment, problems)
        if data is None or meta is None:
            continue
        label = meta.get("name") or "?"
        label_exp = experiment_name(meta.get("experiment_kwargs"), "=", ", ")
        label = f"{label} ({label_exp})" if label_exp else label
        models.add(meta.get("name"))
        tasks.add(data.get("task_name"))
        scores = data.get("scores") or {}
        runs.setdefault(label, {})[data.get("task_name")] = [s.get("main_score") for split in scores.values() for s in split]
    if not found:
        problems.append(f"{root}: no task results where MTEB's loader looks")
    summary = {"files": len(found), "models": sorted(m for m in models if m), "tasks": sorted(t for t in tasks if t),
               "runs": runs, "problems": problems}
    print(json.dumps(summary, sort_keys=True))
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "check":
        return check(argv[2])
    if len(argv) == 3 and argv[1] == "names":
        print(json.dumps([experiment_name(kwargs) for kwargs in json.loads(argv[2])]))
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
