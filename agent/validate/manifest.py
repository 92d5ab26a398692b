"""Read and check ``paper2code.toml`` (the shape of the file is in DESIGN.md).

Every problem raises :class:`agent.errors.ManifestError` with one line that names the file and the
key, e.g. ``paper2code.toml: [[module]] 'attention' output: axis 'c' is not in inputs or dims``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import tomllib

from agent.errors import ManifestError
from agent.types import InputSpec, Manifest, ModuleSpec, SubmoduleSpec, TrainingSpec
from agent.validate.patterns import PatternError, axis_index, parse_pattern, pattern_names
from agent.validate.registry import BY_NAME, PROPERTIES

MANIFEST_NAME = "paper2code.toml"
_TARGET = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_TOP_KEYS = {"project", "module", "training", "validate", "llm"}  # [llm] belongs to agent.llm.config
_MODULE_KEYS = {
    "name", "target", "init", "inputs", "integer_inputs", "dims", "max_dims", "multiple_of", "output",
    "properties", "reference", "method", "modules", "batch_dim", "seq_dim", "rtol", "atol",
}
_TRAINING_KEYS = {"module", "datamodule", "init", "datamodule_init", "max_steps", "loss_drop"}
_VALIDATE_KEYS = {"checks", "timeout", "memory_mb", "compile_backend"}
_INPUT_KEYS = {"shape", "dtype", "low", "high"}


def load_manifest(path: str | Path) -> Manifest:
    """Parse the manifest at ``path`` (a ``paper2code.toml`` file or the folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST_NAME
    if not path.is_file():
        raise ManifestError(f"{path}: no {MANIFEST_NAME} here (the manifest says what to validate)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path.name}: not valid TOML: {exc}") from exc
    return parse_manifest(data, path)


def parse_manifest(data: dict[str, Any], path: Path) -> Manifest:
    """Check the TOML table ``data`` read from ``path`` and build the :class:`Manifest`."""
    where = path.name
    _unknown(where, "", data, _TOP_KEYS, allow_prefix="tool")
    project = data.get("project")
    if not isinstance(project, dict) or not isinstance(project.get("name"), str) or not project["name"]:
        raise ManifestError(f"{where}: [project] name is required (a non-empty string)")
    raw_modules = data.get("module", [])
    if not isinstance(raw_modules, list) or not all(isinstance(m, dict) for m in raw_modules):
        raise ManifestError(f"{where}: 'module' must be an array of tables ([[module]])")
    modules = [_module(where, i, m) for i, m in enumerate(raw_modules)]
    names = [m.name for m in modules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ManifestError(f"{where}: [[module]] name {duplicates[0]!r} is used twice")
    if "training" in names:
        raise ManifestError(f"{where}: [[module]] name 'training' is reserved for the [training] table")
    training = _training(where, data["training"]) if "training" in data else None
    if not modules and training is None:
        raise ManifestError(f"{where}: nothing to validate: add a [[module]] or a [training] table")
    manifest = Manifest(name=project["name"], path=str(path), modules=modules, training=training)
    if "validate" in data:
        _validate_table(where, data["validate"], manifest)
    return manifest


def _unknown(where: str, ctx: str, table: dict[str, Any], allowed: set[str], allow_prefix: str = "") -> None:
    for key in table:
        if key not in allowed and not (allow_prefix and key.startswith(allow_prefix)):
            expected = ", ".join(sorted(allowed))
            raise ManifestError(f"{where}: {ctx}unknown key {key!r} (expected one of: {expected})")


def _need(where: str, ctx: str, table: dict[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    if key not in table:
        raise ManifestError(f"{where}: {ctx}key {key!r} is required ({what})")
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool) and bool not in _as_tuple(kind):
        raise ManifestError(f"{where}: {ctx}key {key!r} must be {what}")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _opt(where: str, ctx: str, table: dict[str, Any], key: str, kind: type | tuple[type, ...], what: str,
         default: Any) -> Any:
    if key not in table:
        return default
    return _need(where, ctx, table, key, kind, what)


def _target(where: str, ctx: str, key: str, value: str) -> str:
    if not _TARGET.match(value):
        raise ManifestError(f"{where}: {ctx}key {key!r}: {value!r} is not 'package.module:Name'")
    return value


def _sizes(where: str, ctx: str, key: str, table: dict[str, Any]) -> dict[str, int]:
    for name, value in table.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ManifestError(f"{where}: {ctx}key {key!r}: size of {name!r} must be a positive integer")
    return dict(table)


def _pattern(where: str, ctx: str, key: str, pattern: Any) -> str:
    try:
        parse_pattern(pattern)
    except PatternError as exc:
        raise ManifestError(f"{where}: {ctx}key {key!r}: {exc}") from exc
    return pattern


def _inputs(where: str, ctx: str, raw: dict[str, Any], integer_inputs: dict[str, Any]) -> list[InputSpec]:
    if not raw:
        raise ManifestError(f"{where}: {ctx}key 'inputs' is empty (name each forward argument and its shape)")
    specs = []
    for name, value in raw.items():
        if not name.isidentifier():
            raise ManifestError(f"{where}: {ctx}key 'inputs': {name!r} is not an argument name")
        if isinstance(value, str):
            spec = InputSpec(name=name, shape=_pattern(where, ctx, f"inputs.{name}", value))
        elif isinstance(value, dict):
            _unknown(where, f"{ctx}inputs.{name}: ", value, _INPUT_KEYS)
            shape = _pattern(where, ctx, f"inputs.{name}.shape", value.get("shape", ""))
            dtype = value.get("dtype", "float")
            if dtype not in ("float", "long", "bool"):
                raise ManifestError(f"{where}: {ctx}key 'inputs.{name}.dtype' must be float, long or bool")
            low = _opt(where, ctx, value, "low", int, "an integer", 0)
            high = _opt(where, ctx, value, "high", int, "an integer", 2)
            if high <= low:
                raise ManifestError(f"{where}: {ctx}key 'inputs.{name}.high' must be above low")
            spec = InputSpec(name=name, shape=shape, dtype=dtype, low=low, high=high)
        else:
            raise ManifestError(f"{where}: {ctx}key 'inputs.{name}' must be a pattern string or a table")
        specs.append(spec)
    for name, high in integer_inputs.items():
        match = next((s for s in specs if s.name == name), None)
        if match is None:
            raise ManifestError(f"{where}: {ctx}key 'integer_inputs': {name!r} is not one of the inputs")
        if not isinstance(high, int) or isinstance(high, bool) or high < 1:
            raise ManifestError(f"{where}: {ctx}key 'integer_inputs.{name}' must be a positive integer bound")
        match.dtype, match.low, match.high = "long", 0, high
    return specs


def _module(where: str, index: int, raw: dict[str, Any]) -> ModuleSpec:
    ctx = f"[[module]] #{index + 1}: "
    name = _need(where, ctx, raw, "name", str, "a non-empty string")
    if not name:
        raise ManifestError(f"{where}: {ctx}key 'name' must be a non-empty string")
    ctx = f"[[module]] {name!r}: "
    _unknown(where, ctx, raw, _MODULE_KEYS)
    target = _target(where, ctx, "target", _need(where, ctx, raw, "target", str, "'package.module:Class'"))
    init = _opt(where, ctx, raw, "init", dict, "a table of constructor arguments", {})
    integer_inputs = _opt(where, ctx, raw, "integer_inputs", dict, "a table name = upper bound", {})
    inputs = _inputs(where, ctx, _need(where, ctx, raw, "inputs", dict, "a table name = 'b n d'"),
                     integer_inputs)
    dims = _sizes(where, ctx, "dims", _opt(where, ctx, raw, "dims", dict, "a table letter = size", {}))
    max_dims = _sizes(where, ctx, "max_dims", _opt(where, ctx, raw, "max_dims", dict, "a table", {}))
    multiple_of = _sizes(where, ctx, "multiple_of", _opt(where, ctx, raw, "multiple_of", dict, "a table", {}))
    output = raw.get("output")
    if output is not None:
        output = [output] if isinstance(output, str) else output
        if not isinstance(output, list) or not all(isinstance(p, str) for p in output):
            raise ManifestError(f"{where}: {ctx}key 'output' must be a pattern or a list of patterns")
        output = [_pattern(where, ctx, "output", p) for p in output]
    bound = set(dims)
    for spec in inputs:
        bound.update(pattern_names(spec.shape))
    for pattern in output or []:
        for letter in pattern_names(pattern):
            if letter not in bound:
                raise ManifestError(f"{where}: {ctx}key 'output': axis {letter!r} is not in inputs or dims")
    properties = _opt(where, ctx, raw, "properties", list, "a list of property names", [])
    for prop in properties:
        if prop not in PROPERTIES:
            raise ManifestError(f"{where}: {ctx}key 'properties': unknown {prop!r} "
                                f"(expected {' or '.join(PROPERTIES)})")
    reference = _opt(where, ctx, raw, "reference", str, "'package.module:function'", None)
    if reference is not None:
        _target(where, ctx, "reference", reference)
    method = _opt(where, ctx, raw, "method", str, "a method name", None)
    submodules = []
    for arg, sub in _opt(where, ctx, raw, "modules", dict, "a table arg = {target, init}", {}).items():
        if not isinstance(sub, dict):
            raise ManifestError(f"{where}: {ctx}key 'modules.{arg}' must be a table {{target, init}}")
        _unknown(where, f"{ctx}modules.{arg}: ", sub, {"target", "init"})
        sub_target = _need(where, f"{ctx}modules.{arg}: ", sub, "target", str, "'package.module:Class'")
        _target(where, ctx, f"modules.{arg}.target", sub_target)
        sub_init = _opt(where, ctx, sub, "init", dict, "a table", {})
        submodules.append(SubmoduleSpec(arg=arg, target=sub_target, init=sub_init))
    batch_dim = _opt(where, ctx, raw, "batch_dim", str, "an axis name", "b")
    seq_dim = _opt(where, ctx, raw, "seq_dim", str, "an axis name", None)
    rtol = float(_opt(where, ctx, raw, "rtol", (int, float), "a number", 1e-7))
    atol = float(_opt(where, ctx, raw, "atol", (int, float), "a number", 1e-9))
    spec = ModuleSpec(
        name=name, target=target, init=init, inputs=inputs, dims=dims, output=output,
        properties=list(properties), reference=reference, method=method, submodules=submodules,
        max_dims=max_dims, multiple_of=multiple_of, batch_dim=batch_dim, seq_dim=seq_dim, rtol=rtol, atol=atol,
    )
    _check_properties(where, ctx, spec)
    return spec


def _check_properties(where: str, ctx: str, spec: ModuleSpec) -> None:
    if not spec.properties:
        return
    if spec.output is None:
        raise ManifestError(f"{where}: {ctx}key 'properties' needs 'output' (to find the batch/sequence axes)")
    if "batch_independent" in spec.properties:
        _axis_everywhere(where, ctx, spec, spec.batch_dim, "batch_dim", "batch_independent")
    if "causal" in spec.properties:
        if spec.seq_dim is None:
            spec.seq_dim = next((a for a in ("n", "t", "s", "l") if axis_index(spec.output[0], a) is not None), None)
            if spec.seq_dim is None:
                raise ManifestError(f"{where}: {ctx}key 'seq_dim' is needed for 'causal' "
                                    "(the output has no axis n, t, s or l)")
        _axis_everywhere(where, ctx, spec, spec.seq_dim, "seq_dim", "causal")


def _axis_everywhere(where: str, ctx: str, spec: ModuleSpec, axis: str, key: str, prop: str) -> None:
    if axis in spec.dims:
        raise ManifestError(f"{where}: {ctx}key 'dims': {prop} needs axis {axis!r} to vary, not fixed")
    if not any(axis_index(s.shape, axis) is not None for s in spec.inputs):
        raise ManifestError(f"{where}: {ctx}key '{key}': {prop} needs an input with the axis {axis!r}")
    if axis_index(spec.output[0], axis) is None:
        raise ManifestError(f"{where}: {ctx}key 'output': {prop} needs the axis {axis!r} in the first output")


def _training(where: str, raw: Any) -> TrainingSpec:
    ctx = "[training]: "
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: 'training' must be a table ([training])")
    _unknown(where, ctx, raw, _TRAINING_KEYS)
    module = _target(where, ctx, "module", _need(where, ctx, raw, "module", str, "'package.module:LitModel'"))
    datamodule = _target(where, ctx, "datamodule",
                         _need(where, ctx, raw, "datamodule", str, "'package.data:DataModule'"))
    max_steps = _opt(where, ctx, raw, "max_steps", int, "a positive integer", 60)
    if max_steps < 2:
        raise ManifestError(f"{where}: {ctx}key 'max_steps' must be at least 2")
    loss_drop = float(_opt(where, ctx, raw, "loss_drop", (int, float), "a number in [0, 1)", 0.5))
    if not 0.0 <= loss_drop < 1.0:
        raise ManifestError(f"{where}: {ctx}key 'loss_drop' must be in [0, 1)")
    return TrainingSpec(
        module=module,
        datamodule=datamodule,
        init=_opt(where, ctx, raw, "init", dict, "a table", {}),
        datamodule_init=_opt(where, ctx, raw, "datamodule_init", dict, "a table", {}),
        max_steps=max_steps,
        loss_drop=loss_drop,
    )


def _validate_table(where: str, raw: Any, manifest: Manifest) -> None:
    ctx = "[validate]: "
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: 'validate' must be a table ([validate])")
    _unknown(where, ctx, raw, _VALIDATE_KEYS)
    checks = _opt(where, ctx, raw, "checks", list, "a list of check names", [])
    for name in checks:
        if name not in BY_NAME:
            raise ManifestError(f"{where}: {ctx}key 'checks': unknown check {name!r}")
    manifest.extra_checks = list(checks)
    timeout = _opt(where, ctx, raw, "timeout", (int, float), "seconds (a positive number)", None)
    if timeout is not None and timeout <= 0:
        raise ManifestError(f"{where}: {ctx}key 'timeout' must be positive")
    manifest.timeout_s = None if timeout is None else float(timeout)
    memory = _opt(where, ctx, raw, "memory_mb", int, "a positive integer", None)
    if memory is not None and memory < 64:
        raise ManifestError(f"{where}: {ctx}key 'memory_mb' must be at least 64")
    manifest.memory_mb = memory
    manifest.compile_backend = _opt(where, ctx, raw, "compile_backend", str, "a torch.compile backend name",
                                    "inductor")
