"""Experiment configs: read YAML safely, merge defaults, apply ``--set``
overrides and validate, reporting every mistake as one ``ConfigError`` line
that names the entry (``model[2].Linear: unknown argument 'out_feature' (did
you mean 'out_features'?)``) and, where known, the YAML line.

    errors      ConfigError, format_path, suggest
    problems    Problems, ConfigErrors: every mistake of a config in one run
    schema      the fixed keys, defaults and kinds (seed, data, model, loss, ...)
    validate    normalize: the schema checked and defaults merged
    yaml_text   safe YAML with line numbers; dump
    yaml_guard  duplicate keys, alias bombs and deep nesting refused before construction
    source      Source: file, lines and overrides, to place an error
    overrides   --set KEY=VALUE
    loading     load (all of the above), config_hash

``data``, ``loss``, ``optimizer`` and ``schedule`` arguments are checked
against the signature of the loader / class they name (nets.builders does that).
"""
from .errors import ConfigError, format_path, suggest
from .problems import ConfigErrors, Problems
from .loading import config_hash, load
from .overrides import apply_set, parse_set_path
from .schema import (CHECKPOINT, DATA, EARLY, FULL_BATCH, MONITORS, REQUIRED, SCALES, SCHEDULE_INTERVALS, TOP, TRAIN,
                     batch_size_of, expect, kind_ok)
from .source import Source
from .validate import merge_section, named_section, normalize
from .yaml_text import SafeLoader, dump, parse_yaml, safe_load
