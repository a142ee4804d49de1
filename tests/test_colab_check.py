"""The Colab check's pure logic: Colab's list as constraints, the freeze diff, the checked cells' comparison.

Building the Colab environment itself is .ci/colab-check's job, not the unit tests'."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
spec = importlib.util.spec_from_file_location("colab_check", ROOT / "tools" / "colab_check.py")
colab_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(colab_check)

FREEZE = """\
# Do not modify this file directly
absl-py==1.4.0
google-colab @ file:///colabtools/dist/google_colab-1.0.0.tar.gz
ipython==7.34.0
jupyter_client==7.4.9
lazy_loader==0.5
nvidia-nccl-cu13==2.31.2
sympy==1.14.0
torch @ https://download.pytorch.org/whl/cpu/torch-2.11.0%2Bcpu-cp313-cp313-manylinux_2_28_x86_64.whl
torchao==0.10.0
triton==3.6.0
"""


def test_parse_freeze_keeps_pins_and_url_lines_under_normalized_names():
    packages = colab_check.parse_freeze(FREEZE)
    assert packages["jupyter-client"] == "jupyter_client==7.4.9"
    assert packages["lazy-loader"] == "lazy_loader==0.5"
    assert packages["google-colab"].startswith("google-colab @ file:")
    assert "# do not modify this file directly" not in packages
    assert len(packages) == 10


def test_colab_pins_leave_out_torch_nvidia_and_friends_and_add_pypi_torch():
    pins = colab_check.colab_pins(FREEZE)
    assert sorted(pins.values()) == ["absl-py==1.4.0", "ipython==7.34.0", "jupyter_client==7.4.9",
                                     "lazy_loader==0.5", "torch==2.11.0", "torchao==0.10.0"]


def test_exclusions_match_whole_normalized_names_only():
    assert colab_check.is_excluded("nvidia_cublas_cu13") and colab_check.is_excluded("Triton")
    assert not colab_check.is_excluded("torchao") and not colab_check.is_excluded("sympy-extra")


def test_needs_pins_every_package_and_names_the_missing_ones():
    pins = colab_check.colab_pins((ROOT / "tools" / "colab" / "pip-freeze.txt").read_text())
    required = colab_check.needs(pins)
    assert required[0] == "torch==2.11.0" and "ipython==7.34.0" in required and "ipywidgets==7.7.1" in required
    assert all("==" in line for line in required)
    with pytest.raises(colab_check.CheckFailed, match="no 'name==version' line for: pip, numpy"):
        colab_check.needs({"torch": "torch==2.11.0"})


def test_freeze_diff_reports_added_removed_changed_but_not_the_course():
    before = colab_check.parse_freeze("ipython==7.34.0\nnumpy==2.1.3\ntqdm==4.67.3\n")
    after = colab_check.parse_freeze("ipython==8.39.0\nm2p-course @ file:///tmp/src\nnumpy==2.1.3\nrich==13.0\n")
    assert colab_check.freeze_diff(before, after) == [
        "changed:  ipython==7.34.0  ->  ipython==8.39.0", "added:    rich==13.0", "removed:  tqdm==4.67.3"]
    assert colab_check.freeze_diff(before, before) == []


def test_dry_run_changes_name_upgrades_and_new_packages_but_not_the_course():
    before = colab_check.parse_freeze("ipython==7.34.0\n")
    report = {"install": [{"metadata": {"name": "m2p-course", "version": "0.1.0"}},
                          {"metadata": {"name": "IPython", "version": "9.1.0"}},
                          {"metadata": {"name": "rich", "version": "13.0"}}]}
    assert colab_check.dry_run_changes(report, before) == [
        "would change: ipython==7.34.0  ->  IPython==9.1.0", "would add:    rich==13.0"]
    assert colab_check.dry_run_changes({"install": report["install"][:1]}, before) == []


SANITIZE = """[memory addresses]
regex: 0x[0-9a-fA-F]+
replace: 0xADDRESS

[timings]
regex: \\d+(\\.\\d+)?\\s*(ms|s)\\b
replace: TIME
"""


def test_sanitizers_are_read_as_nbval_reads_them():
    assert colab_check.sanitizers(SANITIZE) == [("0x[0-9a-fA-F]+", "0xADDRESS"),
                                                ("\\d+(\\.\\d+)?\\s*(ms|s)\\b", "TIME")]


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def test_checked_cells_agree_after_sanitizing_and_merging_streams():
    patterns = colab_check.sanitizers(SANITIZE)
    stored = [stream(["torch.Size([2, 24, 1024])\n", "at 0x7f00 in 3.5 ms\n"])]
    new = [stream("torch.Size([2, 24, 1024])\n"), stream("at 0xabc1 in 12 ms\n"),
           {"output_type": "display_data", "data": {"image/png": "iVBOR"}, "metadata": {}}]
    assert colab_check.compare_outputs(stored, new, patterns) is None


def test_progress_bars_compare_as_their_final_text():
    assert colab_check.output_fields([stream("10%\r100%\nok\n")], []) == {"stdout": ["100%\nok\n"]}


def test_a_changed_checked_cell_gives_a_readable_diff():
    stored = [stream("True\n"), {"output_type": "execute_result", "execution_count": 3, "metadata": {},
                                 "data": {"text/plain": "torch.Size([2, 24, 1024])"}}]
    new = [stream("True\n"), {"output_type": "execute_result", "execution_count": 7, "metadata": {},
                              "data": {"text/plain": "torch.Size([2, 24, 512])"}}]
    diff = colab_check.compare_outputs(stored, new, [])
    assert "-torch.Size([2, 24, 1024])" in diff and "+torch.Size([2, 24, 512])" in diff
    assert "[text/plain]" in diff and "True" not in diff.replace(" True", "")
    assert colab_check.compare_outputs([stream("x\n", "stderr")], [stream("x\n")], []) is not None


def test_compare_notebook_checks_only_marked_cells_and_names_them():
    def code(source, text):
        return {"cell_type": "code", "source": source, "metadata": {}, "outputs": [stream(text)]}
    stored = {"cells": [{"cell_type": "markdown", "source": "# title", "metadata": {}},
                        code("print(1.23456)", "1.23456\n"),
                        code("# NBVAL_CHECK_OUTPUT\nprint(x.shape)", "torch.Size([3])\n")]}
    same = {"cells": [stored["cells"][0], code("print(1.23456)", "1.23457\n"), stored["cells"][2]]}
    assert colab_check.compare_notebook(stored, same, []) == []
    other = {"cells": same["cells"][:2] + [code("", "torch.Size([4])\n")]}
    [problem] = colab_check.compare_notebook(stored, other, [])
    assert problem.startswith("cell 3 (print(x.shape)) differs:") and "+torch.Size([4])" in problem


def test_strip_tags_removes_every_tag_from_a_copy():
    nb = {"cells": [{"cell_type": "code", "source": "1/0", "metadata": {"tags": ["raises-exception"]}}]}
    stripped = colab_check.strip_tags(nb)
    assert stripped["cells"][0]["metadata"] == {} and nb["cells"][0]["metadata"]["tags"] == ["raises-exception"]


def test_every_package_dependency_is_installed_at_colabs_version():
    """A dependency missing from COLAB_NEEDS would be added by pip, and the check would fail on it late."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M).group(1)
    names = [re.match(r"\s*([A-Za-z0-9._-]+)", line.split('"')[1]).group(1)
             for line in block.splitlines() if line.strip().startswith('"')]
    assert len(names) >= 10 and "torch" in names
    needs = {colab_check.normalize(n) for n in colab_check.COLAB_NEEDS}
    missing = [n for n in names if n != "torch" and colab_check.normalize(n) not in needs]
    assert not missing, f"add {missing} to COLAB_NEEDS in tools/colab_check.py"
