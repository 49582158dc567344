"""A register read next to a native order decides the rules no ERP export could."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from handoff_rules.engine.evaluate import durable_available

CliRun = Callable[..., tuple[int, str, str]]
ENGINES = ["reference"] + (["durable"] if durable_available() is None else [])

ORDERS = """\
handoff-rules-facts: 1
facts:
  - type: order
    data: {id: "4712", counterparty_id: C100, order_date: "2024-06-03", net_value: "900.00 EUR"}
  - type: delivery
    data:
      id: "80001"
      order_id: "4712"
      counterparty_id: C100
      release_date: "2024-06-04"
      receiver_name: Ivan  Petrov
"""

REGISTER = """\
Номер документа;Вид;Контрагент;Заказ;Форма;Дата;Действует с;Действует до;Статус;Доверенное лицо
Д-2024/15;Договор;C100;;оригинал;10.01.2024;10.01.2024;31.12.2024;подписан;
17;Доверенность;C100;4712;оригинал;01.06.2024;01.06.2024;15.06.2024;;IVAN PETROV
;Кредитный лимит;C100;;;;;;;
"""

RULES = ("LEG-CTR-001", "ACC-POA-001", "ACC-CRD-001")


def _results(cli: CliRun, engine: str, *paths: Path) -> dict[tuple[str, str], str]:
    code, out, err = cli(
        "check", *map(str, paths), "--at", "2024-06-04", "--engine", engine, "--format", "json"
    )
    assert code in (0, 1), err
    return {
        (decision["checkpoint"], finding["rule"]): finding["result"]
        for decision in json.loads(out)["decisions"]
        for finding in decision["findings"]
        if finding["rule"] in RULES
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_a_register_turns_contract_poa_and_credit_rules_into_pass(
    tmp_path: Path, cli: CliRun, engine: str
) -> None:
    orders = tmp_path / "orders.yaml"
    orders.write_text(ORDERS, encoding="utf-8")
    without = _results(cli, engine, orders)
    assert without[("H1", "LEG-CTR-001")] == "fail"
    assert without[("H3", "ACC-POA-001")] == "fail"
    assert without[("H2", "ACC-CRD-001")] == "indeterminate"  # no limit known: never a pass

    register = tmp_path / "register.csv"
    # the credit limit goes in its own column, written on the limit's row only
    lines = REGISTER.splitlines()
    lines[0] += ";Кредитный лимит;Валюта"
    lines[1:3] = [line + ";;" for line in lines[1:3]]
    lines[3] += ";1 000,00;EUR"
    register.write_bytes(("\n".join(lines) + "\n").encode("cp1251"))
    with_register = _results(cli, engine, orders, register)
    assert with_register[("H1", "LEG-CTR-001")] == "pass"
    assert with_register[("H4", "LEG-CTR-001")] == "pass"
    assert with_register[("H3", "ACC-POA-001")] == "pass"
    assert with_register[("H2", "ACC-CRD-001")] == "pass"  # 900.00 EUR within 1 000,00 EUR


@pytest.mark.parametrize("engine", ENGINES)
def test_a_lower_register_limit_blocks_the_credit_release(
    tmp_path: Path, cli: CliRun, engine: str
) -> None:
    orders = tmp_path / "orders.yaml"
    orders.write_text(ORDERS, encoding="utf-8")
    register = tmp_path / "limits.csv"
    register.write_text("Counterparty,Credit limit,Currency\nC100,899.99,EUR\n", encoding="utf-8")
    assert _results(cli, engine, orders, register)[("H2", "ACC-CRD-001")] == "fail"
