"""The node's parameters over their life: declared from the settings, every change validated,
configure-only changes refused while a model is held, accepted live changes handed to the
processing thread before its next frame."""
from __future__ import annotations

import threading
from typing import Callable

from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult

from siamcar_ros.ros.params import (CONFIGURE_PARAMETERS, NODE_SETTINGS, SETTINGS_BY_NAME, NodeParameters,
                                    ParameterError, descriptor_fields, validate_parameters)


class ParameterHandler:
    """Owns declaring, validating and applying the node's parameters; ``holds_model`` says
    whether configure-only changes must be refused, ``refused`` is told why a change was."""

    def __init__(self, node, holds_model: Callable[[], bool], refused: Callable[[str], None]):
        self._node, self._holds_model, self._refused = node, holds_model, refused
        self._lock = threading.Lock()
        self._pending: NodeParameters | None = None
        for setting in NODE_SETTINGS:
            # Dynamic typing: `rate_hz: 15` (an integer) is fine, and a wrong type is refused by
            # validate_parameters with the parameter's name instead of aborting the process.
            descriptor = ParameterDescriptor(dynamic_typing=True, **descriptor_fields(setting))
            node.declare_parameter(setting.name, setting.parameter_default, descriptor)
        node.add_on_set_parameters_callback(self._on_set_parameters)

    def read(self) -> NodeParameters:
        """The declared values, validated (raises ParameterError)."""
        return validate_parameters(self._values())

    def take_pending(self) -> NodeParameters | None:
        """The parameters accepted since the last call, None when nothing changed."""
        with self._lock:
            pending, self._pending = self._pending, None
        return pending

    def forget_pending(self) -> None:
        with self._lock:
            self._pending = None

    def _values(self) -> dict:
        return {s.name: self._node.get_parameter(s.name).value for s in NODE_SETTINGS}

    def _on_set_parameters(self, changed) -> SetParametersResult:
        changes = {p.name: p.value for p in changed if p.name in SETTINGS_BY_NAME}
        if not changes:
            return SetParametersResult(successful=True)
        holds_model = self._holds_model()
        needs_reconfigure = sorted(set(changes) & CONFIGURE_PARAMETERS)
        if holds_model and needs_reconfigure:
            return self._refuse(changes, f"parameter '{needs_reconfigure[0]}' needs a new model or new "
                                "subscriptions and cannot change while the node is configured: deactivate "
                                "and cleanup, set it, then configure again")
        try:
            params = validate_parameters({**self._values(), **changes})
        except (ParameterError, ValueError) as error:
            return self._refuse(changes, str(error))
        if holds_model:
            with self._lock:  # applied by the processing thread before the next frame
                self._pending = params
        return SetParametersResult(successful=True)

    def _refuse(self, changes: dict, reason: str) -> SetParametersResult:
        # rclpy has already given the descriptors of dynamically typed parameters the refused
        # values' types; put back the types of the values they keep
        for name in changes:
            self._node.describe_parameter(name).type = self._node.get_parameter(name).type_.value
        self._refused(f"parameter change refused: {reason}")
        return SetParametersResult(successful=False, reason=reason)
