"""Oscura's HAL detector (oscura.hardware.hal_detector, v0.9.0) on trawl's
firmware layer (trawl.firmware, include/trawl/firmware.h).

Same names, arguments and result fields. The evidence is trawl's: register
accesses come from Thumb instructions (Capstone, register values followed
through literal loads, MOVW/MOVT and arithmetic), never from words of the
image read as addresses; frameworks come from rules/firmware.rules, and
when nothing adds up the answer is "Unknown". docs/python-oscura-
differences.md (rows 50-60) lists every difference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from .. import firmware as _fw

# trawl's SDK names -> the names Oscura reports (and names for the SDKs
# Oscura does not know)
HAL_NAMES = {
    "stm32_hal": "STM32 HAL", "nrf5_sdk": "Nordic SDK", "esp_idf": "ESP-IDF",
    "arduino": "Arduino", "cmsis_core": "CMSIS", "stm32_cmsis": "STM32 CMSIS",
    "freertos": "FreeRTOS", "zephyr": "Zephyr", "mbed": "Mbed OS",
    "esp8266_nonos": "ESP8266 NONOS SDK",
}


@dataclass
class RegisterAccess:
    """A peripheral register the code uses: ``access_type`` "read", "write",
    "rmw" (read and written by the code) or "ref" (its address loaded and
    passed on, never dereferenced nearby); ``frequency`` is the number of
    instructions; ``offset_from_base`` the offset in its peripheral."""

    address: int
    access_type: str
    bit_mask: Optional[int] = None
    frequency: int = 1
    offset_from_base: Optional[int] = None


@dataclass
class Peripheral:
    """A named peripheral block: ``registers`` maps each offset the code
    uses to its label ("USART2+0x8": trawl's maps name blocks, not
    registers), ``access_patterns`` its accesses."""

    peripheral_type: str
    base_address: int
    registers: dict[int, str] = field(default_factory=dict)
    access_patterns: list[RegisterAccess] = field(default_factory=list)
    initialization_sequence: list[int] = field(default_factory=list)


@dataclass
class HALAnalysisResult:
    """Oscura's result, with trawl's reports alongside (``architecture``,
    ``cortexm``, ``sdk``: None when not run)."""

    detected_hal: str
    peripherals: list[Peripheral]
    register_map: dict[int, str]
    initialization_sequence: list[dict[str, Any]]
    confidence: float = 0.0
    framework_signatures: list[str] = field(default_factory=list)
    architecture: Optional[str] = None
    cortexm: Any = None
    sdk: Any = None


def _access_type(a: _fw.Access) -> str:
    if a.read and a.write:
        return "rmw"
    return "read" if a.read else "write" if a.write else "ref"


def _step(p: _fw.Peripheral) -> str:
    n = p.name.upper()
    if p.family == "cortex-m":
        return "core_config"
    if "RCC" in n or "CLOCK" in n or "CLK" in n:
        return "clock_config"
    if "GPIO" in n or n.startswith("PORT") or n in ("P0", "P1"):
        return "gpio_init"
    return "peripheral_init"


class HALDetector:
    """Oscura's HAL detector on trawl's firmware layer. ``rules``: an SDK
    rule text (rules/firmware.rules' format) instead of the built-in
    rules."""

    def __init__(self, rules: Union[None, str, bytes] = None) -> None:
        self.register_accesses: list[RegisterAccess] = []
        self.peripherals: list[Peripheral] = []
        self.hal_framework: str = "Unknown"
        self._scanner = _fw.SdkScanner.builtin() if rules is None else _fw.SdkScanner(rules)

    def analyze_firmware(self, binary_data: Any, *, detect_peripherals: bool = True,
                         detect_framework: bool = True, base: Optional[int] = None,
                         family: Optional[str] = None) -> HALAnalysisResult:
        """Analyses a raw firmware image: its framework (SDK signatures),
        the peripheral registers its Cortex-M code uses (only the windows
        trawl's architecture model calls arm-thumb are disassembled), the
        peripherals, a register map and an initialisation outline.
        ``base`` / ``family`` override the estimated load address and the
        chosen peripheral map."""
        if not len(binary_data):
            raise ValueError("Binary data cannot be empty")
        self.register_accesses = []
        self.peripherals = []
        self.hal_framework = "Unknown"
        arch = _fw.identify(binary_data)
        cm = _fw.cortexm(binary_data, base=base, family=family)
        by_name = {p.name: p for p in cm.peripherals}
        for a in cm.accesses:
            p = by_name.get(a.peripheral) if a.peripheral else None
            self.register_accesses.append(RegisterAccess(
                address=a.address, access_type=_access_type(a), frequency=a.count,
                offset_from_base=a.address - p.base if p else None))
        init: list[dict[str, Any]] = []
        if detect_peripherals:
            for p in cm.peripherals:
                regs = [r for r, a in zip(self.register_accesses, cm.accesses)
                        if a.peripheral == p.name]
                self.peripherals.append(Peripheral(
                    peripheral_type=p.name, base_address=p.base,
                    registers={r.offset_from_base: f"{p.name}+0x{r.offset_from_base:x}"
                               for r in regs if r.offset_from_base is not None},
                    access_patterns=regs))
            for p in sorted(cm.peripherals, key=lambda p: p.first):
                init.append({"step": _step(p), "peripheral": p.name,
                             "base_address": hex(p.base), "first": p.first})
        register_map = {per.base_address + off: name for per in self.peripherals
                        for off, name in per.registers.items()}
        report = None
        framework_conf = 0.0
        signatures: list[str] = []
        if detect_framework:
            report = self._scanner.scan(binary_data)
            if report.sdks:
                top = report.sdks[0].name
                self.hal_framework = HAL_NAMES.get(top, top)
                total = sum(r.weight for r in self._scanner.rules if r.sdk == top)
                framework_conf = report.sdks[0].weight / total if total else 0.0
                signatures = [f"{e.sdk}.{e.rule}" for e in report.evidence if e.sdk == top]
        n_acc = sum(r.frequency for r in self.register_accesses)
        conf = 0.4 * framework_conf
        conf += 0.3 * min(len(self.peripherals) / 5.0, 1.0) if self.peripherals else 0.0
        conf += 0.3 * min(n_acc / 20.0, 1.0) if n_acc else 0.0
        return HALAnalysisResult(
            detected_hal=self.hal_framework, peripherals=self.peripherals,
            register_map=register_map, initialization_sequence=init,
            confidence=min(conf, 1.0), framework_signatures=signatures,
            architecture=arch.arch, cortexm=cm, sdk=report)

    def export_to_json(self, result: HALAnalysisResult, *, indent: int = 2) -> str:
        """The result as JSON: framework, confidence, signatures,
        peripherals (addresses as hex strings), register map and the
        initialisation outline."""
        data = {
            "hal_framework": result.detected_hal,
            "confidence": result.confidence,
            "framework_signatures": result.framework_signatures,
            "peripherals": [{"type": p.peripheral_type, "base_address": hex(p.base_address),
                             "registers": {hex(o): n for o, n in p.registers.items()},
                             "access_count": len(p.access_patterns)}
                            for p in result.peripherals],
            "register_map": {hex(a): d for a, d in result.register_map.items()},
            "initialization_sequence": result.initialization_sequence,
        }
        return json.dumps(data, indent=indent)
