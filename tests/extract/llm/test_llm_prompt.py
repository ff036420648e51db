"""Prompt files: sandboxed rendering, identity (hash, version), the form rendering."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from tests.extract.llm.llm_support import ROOT, sample_forms

from crossfoot.errors import ConfigError
from crossfoot.extract.llm.prompt import PAGE_BREAK, load_prompt, prompts_dir, render_form


def test_the_shipped_prompt_loads_with_its_hash_and_version() -> None:
    prompt = load_prompt("extract_form.v1")
    path = ROOT / "prompts" / "extract_form.v1.j2"
    assert prompts_dir() == path.parent
    assert prompt.hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert prompt.meta() == {"prompt_name": "extract_form", "prompt_version": "v1", "prompt_hash": prompt.hash}


def test_messages_carry_the_form_and_the_hierarchy() -> None:
    form = sample_forms("000_1c7597119af05248.txt")[0]
    system, user = load_prompt("extract_form.v1").messages(render_form(form))
    assert system["role"] == "system" and user["role"] == "user"
    assert "服务对象满意度指标" in system["content"]  # rendered from crossfoot.model.HIERARCHY
    assert render_form(form) in user["content"]


def _template(tmp_path: Path, body: str) -> Path:
    (tmp_path / "t.v1.j2").write_text(body, encoding="utf-8")
    return tmp_path


def test_the_sandbox_refuses_reaching_into_python(tmp_path: Path) -> None:
    folder = _template(
        tmp_path,
        "{% block system %}{{ form_text.__class__.__mro__[1].__subclasses__() }}{% endblock %}"
        "{% block user %}x{% endblock %}",
    )
    with pytest.raises(ConfigError, match="failed to render"):
        load_prompt("t.v1", folder).messages("表")


def test_a_misspelt_variable_is_an_error_not_an_empty_string(tmp_path: Path) -> None:
    folder = _template(tmp_path, "{% block system %}{{ from_text }}{% endblock %}{% block user %}x{% endblock %}")
    with pytest.raises(ConfigError, match="from_text"):
        load_prompt("t.v1", folder).messages("表")


def test_a_template_without_its_blocks_is_refused(tmp_path: Path) -> None:
    folder = _template(tmp_path, "{% block system %}only a system part{% endblock %}")
    with pytest.raises(ConfigError, match="block user"):
        load_prompt("t.v1", folder).messages("表")


@pytest.mark.parametrize("spec", ["extract_form", "extract_form.v", "nope.v9"])
def test_bad_prompt_names_are_config_errors(spec: str) -> None:
    with pytest.raises(ConfigError):
        load_prompt(spec)


def test_render_form_keeps_columns_and_marks_page_breaks() -> None:
    form = sample_forms("000_1c7597119af05248.txt")[0]
    text = render_form(form)
    lines = text.splitlines()
    # one line per printed line; the blank line inside the form is the page break
    printed = [line for line in form.lines if not line.is_blank]
    assert len(lines) == len(printed) + text.count(PAGE_BREAK)
    assert text.count(PAGE_BREAK) == 1
    # an empty cell between two values stays, so the column is not lost
    carry = next(line for line in lines if line.startswith("| 上年结转资金"))
    assert carry == "| 上年结转资金 | 0 | 0 |  | —"
