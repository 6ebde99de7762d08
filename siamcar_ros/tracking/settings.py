"""Declarative settings: each setting once, with its default, allowed values, unit, a one-line
description and when it may change. Plain Python, no ROS.

A component (the tracker, loss detection, re-detection, the node's input and output) lists its
settings as a tuple of :class:`Setting`; its dataclass checks values with :meth:`Setting.check`,
the ROS node declares its parameters from the same tuples, and the YAML defaults, the CLI flags
and the documentation's parameter table are generated from them.
"""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable

__all__ = ["Setting", "SettingError", "add_arguments", "check_fields", "select"]

LIVE = "live"
CONFIGURE = "configure"


class SettingError(ValueError):
    """A value a setting does not accept; ``name`` is the setting, ``detail`` the reason
    without the name (``must be within 0..1, got 1.5``)."""

    def __init__(self, name: str, detail: str):
        super().__init__(f"{name}: {detail}")
        self.name, self.detail = name, detail


@dataclass(frozen=True)
class Setting:
    """One setting. ``low``/``high`` bound numbers (``low_open``: ``low`` itself is refused);
    ``choices`` lists the accepted strings; ``unset`` is the value that leaves the choice to
    the model or preset (ROS parameters cannot be None), explained by ``unset_means``;
    ``field`` is the attribute name in the component's dataclass when it differs from the
    setting's name; ``applies`` is ``live`` (from the next frame) or ``configure``;
    ``validator`` returns what is wrong with a value (None: nothing) for rules beyond these,
    described by ``allowed_text``."""

    name: str
    default: Any
    description: str
    applies: str = LIVE
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] | None = None
    unit: str = ""
    note: str = ""
    unset: Any = None
    unset_means: str = ""
    field: str = ""
    non_empty: bool = False
    validator: Callable[[Any], str | None] | None = None
    allowed_text: str = ""

    @property
    def attribute(self) -> str:
        return self.field or self.name

    @property
    def kind(self) -> type:
        return type(self.default)

    @property
    def parameter_default(self) -> Any:
        """The default where a front end may leave the choice to the model: the placeholder."""
        return self.default if self.unset is None else self.unset

    @property
    def allowed(self) -> str:
        """The accepted values in words: ``0..1``, ``(0, 1]``, ``>= 1``, ``> 0``, ``'a', 'b'``."""
        if self.allowed_text or self.choices is not None:
            return self.allowed_text or ", ".join(repr(choice) for choice in self.choices)
        if self.low is None and self.high is None:
            return ""
        low, high = _number(self.low), _number(self.high)
        if self.high is None:
            return f"> {low}" if self.low_open else f">= {low}"
        if self.low_open:
            return f"({low}, {high}]"
        return f"{low}..{high}"

    def is_unset(self, value: Any) -> bool:
        """True for the placeholder that leaves the choice to the model (negative numbers when
        ``unset`` is a negative number, the empty string when it is ``""``)."""
        if self.unset is None:
            return False
        if isinstance(self.unset, str):
            return value == self.unset
        return _is_number(value) and value < 0

    def check(self, value: Any, label: str | None = None, allow_unset: bool = False) -> Any:
        """``value`` as this setting holds it (an int for a float setting becomes a float);
        raises SettingError naming ``label`` (default: the setting's name) and the rule.
        ``allow_unset``: the ``unset`` placeholder passes (front ends that resolve it later)."""
        label = label or self.name
        if not _has_kind(value, self.kind):
            raise SettingError(label, f"expected {self.kind.__name__}, got {value!r}")
        if self.kind is float:
            value = float(value)
            if not math.isfinite(value):
                raise SettingError(label, f"must be a finite number, got {value!r}")
        if allow_unset and self.is_unset(value):
            return value
        if self.choices is not None and value not in self.choices:
            raise SettingError(label, f"{value!r} is not one of {self.allowed}")
        if self.non_empty and not value.strip():
            raise SettingError(label, "must not be empty")
        if self.validator is not None and (problem := self.validator(value)) is not None:
            raise SettingError(label, problem)
        if self.kind in (int, float) and not self._in_range(value):
            words = "must be" if self.high is None else "must be within"
            note = f" ({self.note})" if self.note else ""
            unset = f" (or {self.unset_means})" if allow_unset and self.unset_means else ""
            raise SettingError(label, f"{words} {self.allowed}{note}, got {value!r}{unset}")
        return value

    def _in_range(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or value <= self.high

    def summary(self) -> str:
        """The description with the allowed values, unit and placeholder, for docs and tools."""
        parts = [self.description]
        if self.allowed:
            parts.append(f"allowed: {self.allowed}" + (f" ({self.unit})" if self.unit else ""))
        if self.unset_means:
            parts.append(self.unset_means)
        return "; ".join(parts)


def select(settings: Iterable[Setting], *names: str) -> tuple[Setting, ...]:
    """The settings named, in the order named (KeyError for a name not among them)."""
    by_name = {setting.name: setting for setting in settings}
    return tuple(by_name[name] for name in names)


def check_fields(instance: Any, settings: Iterable[Setting]) -> None:
    """Check and normalise a frozen dataclass's fields against its settings (``__post_init__``)."""
    for setting in settings:
        value = setting.check(getattr(instance, setting.attribute), setting.attribute)
        object.__setattr__(instance, setting.attribute, value)


def add_arguments(parser: argparse.ArgumentParser | Any, settings: Iterable[Setting],
                  defaults: dict[str, Any] | None = None, aliases: dict[str, str] | None = None) -> None:
    """One ``--flag`` per setting (``lost_threshold`` -> ``--lost-threshold``), with its default
    and help from the setting; a bool setting gets ``--flag`` / ``--no-flag``. ``defaults``
    replaces a setting's default for this command, ``aliases`` adds a second flag. Values are
    checked by the component that receives them."""
    defaults, aliases = defaults or {}, aliases or {}
    for setting in settings:
        flags = ["--" + setting.name.replace("_", "-")] + ([aliases[setting.name]] if setting.name in aliases else [])
        default = defaults.get(setting.name, setting.default)
        shown = (f"the model's recommendation, else {setting.default}" if default is None
                 else ("on" if default else "off") if setting.kind is bool else default)
        helps = f"{setting.summary()} (default: {shown})"
        if setting.kind is bool:
            parser.add_argument(*flags, default=default, action=argparse.BooleanOptionalAction,
                                dest=setting.name, help=helps)
        else:
            parser.add_argument(*flags, type=setting.kind, default=default, dest=setting.name,
                                metavar=setting.name.upper(), help=helps)


def _has_kind(value: Any, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return _is_number(value)
    return isinstance(value, kind)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value: float | None) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
