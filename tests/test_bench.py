"""The benchmark harness: codec table, reports, README section, a tiny run.

The end-to-end run uses the generated ``synthetic`` set and stdlib codecs, so
it needs no corpora and takes a few seconds.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import types
import zlib

import pytest

from bench import ablation, charts, cli, codecs, diagnose, levels, machine, readme, report
from bench.compare import Direction, Measurement
from bench.inputs import SYNTHETIC_SIZE, Input, file_input, gather
from corpora import generate, synth

SAMPLE = generate("text", 20000) + generate("binary", 5000)


def test_parse_defaults_and_settings():
    assert codecs.parse("zlib").name == "zlib-9"
    assert codecs.parse("lzma").label == "xz -9e"
    assert codecs.parse("zstd:22").label == "zstd --ultra -22"
    assert codecs.parse("ppmd:i16").name == "ppmd-I16"
    assert codecs.parse("ppmd").setting == "I8"
    assert codecs.parse("ppmd:12").setting == "H12"
    assert codecs.parse("midicoth").name == "midicoth"
    assert codecs.parse("midicoth:64").label == "midicoth --memory 64"


@pytest.mark.parametrize(
    "spec", ["gzip", "zlib:10", "bz2:0", "lzma:9ee", "zstd:x", "ppmd:1", "midicoth:0"]
)
def test_parse_rejects_bad_specs(spec):
    with pytest.raises(ValueError):
        codecs.parse(spec)


@pytest.mark.parametrize("family", list(codecs.FAMILIES))
def test_every_available_codec_round_trips(family):
    codec = codecs.parse(family if family != "lzma" else "lzma:1")
    if not codec.available():
        pytest.skip(f"{family} not installed")
    compress, decompress = codec.functions()
    packed = compress(SAMPLE)
    assert len(packed) < len(SAMPLE)
    assert decompress(packed) == SAMPLE
    assert codec.version()


def test_available_codecs_skips_missing(monkeypatch):
    monkeypatch.setitem(
        codecs.FAMILIES, "brotli", codecs.Family("brotli", "no_such_module_xyz", "11", "Brotli")
    )
    chosen, missing = codecs.available_codecs(["zlib", "brotli", "zlib:9"])
    assert [c.name for c in chosen] == ["zlib-9"]
    assert missing == ["brotli-11"]


def _measurement(inp: Input, codec: str, size: int, seconds: float) -> Measurement:
    m = Measurement(inp, codecs.parse(codec), compressed=size, roundtrip=True, deterministic=True)
    m.compress = Direction([seconds], [seconds], 1 << 20)
    m.decompress = Direction([seconds / 10], [seconds / 10], 1 << 19)
    return m


def _inputs(tmp_path):
    a = Input("one", "a", tmp_path / "a", 1000, "same")
    b = Input("two", "b", tmp_path / "b", 1000, "same")  # same contents as a
    c = Input("two", "c", tmp_path / "c", 3000, "other")
    return a, b, c


def test_aggregates_and_dedup(tmp_path):
    a, b, c = _inputs(tmp_path)
    ms = [
        _measurement(a, "zlib", 500, 0.001),
        _measurement(b, "zlib", 500, 0.001),
        _measurement(c, "zlib", 300, 0.003),
    ]
    agg = report.aggregate(ms)
    assert agg.bytes_in == 5000 and agg.bytes_out == 1300
    assert agg.bpb == pytest.approx(8 * 1300 / 5000)
    assert agg.mean_bpb == pytest.approx((4 + 4 + 0.8) / 3)
    assert agg.speed(agg.c_seconds) == pytest.approx(5000 / 0.005 / 1e6)
    assert [i.name for i in report.distinct([a, b, c])] == ["a", "c"]
    md = report.results_markdown(ms, ["- Machine: test"])
    assert "## All sets (2 distinct files, 4,000 bytes)" in md
    assert "| zlib-9 | 800 | 1.600 |" in md  # a + c only


def test_failed_measurement_is_reported(tmp_path):
    a, _, _ = _inputs(tmp_path)
    bad = Measurement(a, codecs.parse("zlib"), error="round trip: differs")
    md = report.results_markdown([bad, _measurement(a, "bz2", 400, 0.01)], [])
    assert "## Failures" in md and "round trip: differs" in md
    assert "1 failed" in md
    assert "– (0 of 1 files)" in md


def test_readme_section_is_replaced_or_appended():
    text = "# Title\n\nintro\n\n## Results\n\nold\n```\n## not a heading\n```\n\n## Next\n\nkept\n"
    new = readme.replace_section(text, "## Results\n\nnew table\n")
    assert "old" not in new and "new table" in new
    assert new.index("new table") < new.index("## Next") and "kept" in new
    appended = readme.replace_section("# Title\n", "## Results\n\nx\n")
    assert appended == "# Title\n\n## Results\n\nx\n"


def test_command_line_hides_machine_paths(tmp_path):
    line = machine.command_line(["--out", str(tmp_path / "res"), f"--out={tmp_path}/x"])
    assert str(tmp_path) not in line
    assert line == "python -m bench --out res --out=x"
    inside = machine.command_line(["--out", str(machine.REPO_ROOT / "bench" / "results")])
    assert inside.endswith("--out bench/results")


def test_gather_synthetic_and_paths(tmp_path):
    inputs, notes = gather(["synthetic"], [], tmp_path)
    assert [i.name for i in inputs] == list(synth.KINDS)
    assert not notes
    one = file_input(str(inputs[0].path))
    assert one.set == "files" and one.sha256 == inputs[0].sha256
    with pytest.raises(FileNotFoundError):
        file_input(str(tmp_path / "missing"))


def test_end_to_end_on_synthetic(tmp_path):
    out = tmp_path / "out"
    args = [
        "--set",
        "synthetic",
        "--codec",
        "zlib:6",
        "--codec",
        "bz2",
        "--repeat",
        "2",
        "--max-time",
        "0.5",
        "--out",
        str(out),
    ]
    if not charts.available():
        args.append("--no-charts")
    assert cli.main(args) == 0
    md = (out / "results.md").read_text(encoding="utf-8")
    assert (
        f"## synthetic ({len(synth.KINDS)} files, {len(synth.KINDS) * SYNTHETIC_SIZE:,} bytes)"
        in md
    )
    assert str(tmp_path) not in md
    assert "- Command: `python -m bench compare --set synthetic --codec zlib:6" in md  # the default
    with open(out / "results.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * len(synth.KINDS)
    assert {r["roundtrip_ok"] for r in rows} == {"1"}
    assert {r["deterministic"] for r in rows} == {"1"}
    random_zlib = next(r for r in rows if r["file"] == "random" and r["codec"] == "zlib-6")
    assert float(random_zlib["bpb"]) > 8.0
    assert int(random_zlib["compress_runs"]) >= 1
    if charts.available():
        assert (out / "bpb_vs_speed.png").stat().st_size > 1000
        assert (out / "bpb_synthetic.png").exists()


def test_cli_rejects_unknown_names(tmp_path):
    with pytest.raises(SystemExit):
        cli.main(["--set", "nope", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        cli.main(["--set", "synthetic", "--codec", "gzip", "--out", str(tmp_path)])


def test_list_shows_sets_and_codecs(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "synthetic" in out and "generated" in out
    assert "zlib-9" in out


def test_ablation_configurations_follow_the_paper_then_extra_stages():
    core = types.SimpleNamespace(
        STAGE_TWEEDIE=8,
        STAGE_MATCH=1,
        STAGE_WORD=2,
        STAGE_HIGHCTX=4,
        STAGE_MIXER=32,
        STAGE_SSE=16,
        STAGE_LEAN=64,
        ALL_STAGES=63,  # a stage outside the default model is no step
    )
    assert ablation.configurations(core) == [
        ("base PPM", 0),
        ("+match", 1),
        ("+word", 3),
        ("+highctx", 7),
        ("+tweedie", 15),
        ("+sse", 31),
        ("+mixer", 63),
    ]


def test_ablation_mode_rows_and_labels():
    core = types.SimpleNamespace(analyse=None, MODE_RECORD=1, MODE_SPARSE=2, MODE_X86=4)
    assert ablation.mode_configurations(core) == [("+record", 1), ("+sparse", 3), ("+x86", 7)]
    assert ablation.mode_configurations(types.SimpleNamespace(MODE_RECORD=1)) == []
    assert ablation.mode_label(core, 0, 0) == "-"
    assert ablation.mode_label(core, 1, 216) == "record/216"
    assert ablation.mode_label(core, 1, 0) == "record/lines"
    assert ablation.mode_label(core, 6, 0) == "x86+sparse"
    assert ablation.summarize_modes(["x86+sparse"] * 3 + ["sparse"]) == "x86+sparse ×3, sparse"
    assert ablation.summarize_modes([]) == "-"


def test_ablation_blocks_round_trip_in_every_mode():
    core = pytest.importorskip("midicoth._core")
    if not hasattr(core, "analyse"):
        pytest.skip("the core has no block modes")
    # Records of 12 bytes with a call (E8 + displacement) in each: every mode applies.
    data = b"".join(
        b"\xe8" + (i * 37 % 4096).to_bytes(4, "little") + b"%07d" % (i * i % 9999991)
        for i in range(1500)
    )
    stages = core.ALL_STAGES
    plain = ablation.code_blocks(core, data, stages, core.MIN_MEMORY_MIB, 0, True, 4096)
    assert plain[2] is True and set(plain[3]) == {"-"} and len(plain[3]) == 5
    for mode, period in [
        (core.MODE_RECORD, 12),
        (core.MODE_RECORD, 0),
        (core.MODE_SPARSE, 0),
        (core.MODE_X86 | core.MODE_SPARSE, 0),
    ]:
        if not core.mode_valid(mode, period, stages):
            continue
        size, _, verified, labels = ablation.code_blocks(
            core, data, stages, core.MIN_MEMORY_MIB, 0, True, 4096, forced=(mode, period)
        )
        assert verified is True and size > 0
        assert set(labels) == {ablation.mode_label(core, mode, period)}
    size, _, verified, labels = ablation.code_blocks(
        core, data, stages, core.MIN_MEMORY_MIB, core.MODE_ALL, True, 4096
    )
    assert verified is True and len(labels) == 5


def test_diagnose_bins():
    assert diagnose.bin_range(0) == (0, 4)
    assert diagnose.bin_range(4) == (256, 1024)
    assert diagnose.bin_range(7) == (16384, None)
    assert diagnose.gamma_range(7) == "≤ 0.008"
    assert diagnose.gamma_range(2) == "–"  # C >= 128 never falls there
    assert diagnose.gamma_range(4) == "0.125–0.500"


def test_ablation_and_diagnose_on_the_core(tmp_path):
    core = pytest.importorskip("midicoth._core")
    path = tmp_path / "text"
    path.write_bytes(generate("text", 3000))
    inp = file_input(str(path))
    rows = ablation.run([inp], core, core.MIN_MEMORY_MIB, True, lambda _: None)
    assert [r.config for r in rows][:2] == ["base PPM", "+match"]
    assert all(r.verified for r in rows)
    modes = ablation.mode_configurations(core)
    if modes:  # the stage rows, then one row per block mode allowed
        assert [r.config for r in rows][-len(modes) :] == [label for label, _ in modes]
        assert all(len(r.modes) == 1 for r in rows[-len(modes) :])  # one block
    md = ablation.markdown(rows, [], core.MIN_MEMORY_MIB, core.MODEL_VERSION, [])
    assert "| **total** | 3,000 |" in md
    assert ("the analyser's choice per block" in md) == bool(modes)
    ablation.write_csv(rows, tmp_path / "ablation.csv")
    assert len((tmp_path / "ablation.csv").read_text().splitlines()) == len(rows) + 1
    stats, coded = diagnose.collect(core, path.read_bytes(), core.MIN_MEMORY_MIB)
    assert coded > 0 and diagnose.DELTA in stats
    md = diagnose.markdown(inp, stats, coded, [], core.MIN_MEMORY_MIB, [])
    assert "Step 1 mean abs δ" in md


def _vs_lzma_argv(tmp_path, data):
    """A vs-lzma run of one repeat on `data`, written as files/text."""
    path = tmp_path / "text"
    path.write_bytes(data)
    return ["vs-lzma", "--repeat", "1", "--file", str(path), "--out", str(tmp_path)]


def _vs_lzma_rows(tmp_path, data, options):
    """The table rows, split into cells, of a vs-lzma run with `options`."""
    assert cli.main(_vs_lzma_argv(tmp_path, data) + options) == 0
    text = (tmp_path / "speed_vs_lzma.md").read_text(encoding="utf-8")
    return [line.split(" | ") for line in text.splitlines() if line.startswith("| files/text |")]


def _sizes(rows):
    return [int(row[2].replace(",", "")) for row in rows]


def test_speed_against_lzma_writes_each_model(tmp_path):
    midicoth = pytest.importorskip("midicoth")
    pytest.importorskip("midicoth._core")
    data = generate("text", 3000)
    # Stage sets are named as for `midicoth compress --stages`; one already
    # timed ("all" is the default) is not timed twice.
    stage_lists = ["match+word+tweedie+mix+apm", "all", "49"]
    rows = _vs_lzma_rows(tmp_path, data, [a for s in stage_lists for a in ("--stages", s)])
    assert [row[1] for row in rows] == [
        "default",
        "paper",
        "stages 59 (without highctx)",
        "stages 49 (without word, highctx, tweedie)",
    ]
    sizes = [len(midicoth.compress(data, stages=s)) for s in (63, 15, 59, 49)]
    assert _sizes(rows) == sizes
    assert all(row[-1].endswith("× |") for row in rows)


def test_speed_against_lzma_in_independent_blocks(tmp_path):
    midicoth = pytest.importorskip("midicoth")
    pytest.importorskip("midicoth._core")
    data = generate("text", 3000)
    # 2 blocks of 1,500 bytes (asked twice, timed once); 4 would be under the
    # smallest block size, so the file is cut into 3: 1,024, 1,024 and 952.
    rows = _vs_lzma_rows(tmp_path, data, ["--blocks", "2", "--blocks", "4", "--blocks", "2"])
    assert [row[1] for row in rows] == [
        "default",
        "paper",
        "default, 2 blocks on 2 threads",
        "default, 3 blocks on 4 threads",
    ]
    halves = midicoth.compress(data, block_size=1500, threads=2)
    sizes = [
        len(halves),
        len(midicoth.compress(data, block_size=midicoth.MIN_BLOCK_SIZE, threads=4)),
    ]
    assert _sizes(rows[2:]) == sizes
    assert sizes[0] > len(midicoth.compress(data))  # each block starts afresh
    scan = pytest.importorskip("midicoth.format").scan
    (layout,) = scan(io.BytesIO(halves))
    assert [usize for usize, _ in layout.blocks] == [1500, 1500]


def test_levels_table_on_small_files(tmp_path):
    """``levels`` on two small generated files (no corpora): a row per
    level with its stages and memory rule, the bytes compress(level=n)
    makes, ratios to lzma; the CSV holds the same."""
    midicoth = pytest.importorskip("midicoth")
    pytest.importorskip("midicoth._core")
    from midicoth.format import stages_name

    files = {"text": generate("text", 3000), "binary": generate("binary", 2000)}
    argv = ["levels", "--repeat", "1", "--verify", "--out", str(tmp_path)]
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        argv += ["--file", str(tmp_path / name)]
    assert cli.main(argv) == 0
    text = (tmp_path / "levels.md").read_text(encoding="utf-8")
    rows = [
        line.split(" | ") for line in text.splitlines() if line[:3] in {f"| {n}" for n in range(10)}
    ]
    assert [int(row[0][2:].split()[0]) for row in rows] == sorted(midicoth.LEVELS)
    for row, (number, level) in zip(rows, sorted(midicoth.LEVELS.items())):
        assert row[1] == stages_name(level.stages)
        assert row[2] == f"≤ {level.memory_cap_mib} MiB, {level.memory_per_byte} B/byte"
        total = sum(len(midicoth.compress(data, level=number)) for data in files.values())
        assert int(row[3].replace(",", "")) == total
        assert row[-1].endswith("× |") and row[-2].endswith("×")
    assert "Speed: on files/text" in text  # the largest file, without calgary/book1
    assert "No PPMd reference" in text
    assert ("Every level codes these files smaller" in text) != ("Not monotone" in text)
    with open(tmp_path / "levels.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert [int(r["level"]) for r in table] == sorted(midicoth.LEVELS)
    assert all(float(r["compress_vs_lzma"]) > 0 for r in table)


def test_levels_reference_and_monotony():
    inp = types.SimpleNamespace(reference=types.SimpleNamespace(ppmd_best_bytes=100))
    assert levels.ppmd_reference([inp, inp, types.SimpleNamespace(reference=None)]) == (200, 2)
    assert levels.falling({1: 30, 2: 20, 3: 10}) == []
    assert levels.falling({1: 30, 2: 30, 3: 31}) == [(1, 2), (2, 3)]


# A stand-in for the paper's program, with its command line: VERB IN OUT.
# zlib codes; BREAK says what goes wrong.
FAKE_REFERENCE = """\
import sys, zlib
verb, source, target = sys.argv[1:]
data = open(source, "rb").read()
if BREAK == "exit" and verb == "decompress":
    sys.stderr.write("50%\\rcannot read header\\n")
    sys.exit(3)
out = zlib.compress(data) if verb == "compress" else zlib.decompress(data)
if BREAK == "corrupt" and verb == "decompress":
    out += b"!"
open(target, "wb").write(out)
"""


def _fake_reference(tmp_path, fault):
    program = tmp_path / f"reference-{fault}"
    program.write_text(f"#!{sys.executable}\nBREAK = {fault!r}\n{FAKE_REFERENCE}", encoding="utf-8")
    program.chmod(0o755)
    try:
        subprocess.run(
            [str(program), "compress", str(program), str(tmp_path / "probe")], check=True
        )
    except OSError as exc:  # a noexec mount, or an interpreter path too long for "#!"
        pytest.skip(f"cannot run a script from here: {exc}")
    return program


def test_speed_against_reference_program(tmp_path):
    pytest.importorskip("midicoth._core")
    data = generate("text", 3000)
    rows = _vs_lzma_rows(tmp_path, data, ["--reference", str(_fake_reference(tmp_path, "none"))])
    assert [row[1] for row in rows] == ["default", "paper", "reference program", "default", "paper"]
    assert _sizes(rows[2:3]) == [len(zlib.compress(data))]
    text = (tmp_path / "speed_vs_lzma.md").read_text(encoding="utf-8")
    assert "## Against the reference program" in text
    assert all(row[-1].endswith("× |") and float(row[-1][:-3]) > 0 for row in rows[3:])


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("corrupt", "did not restore text"),
        ("exit", "decompress exited with 3: cannot read header"),
    ],
)
def test_failing_reference_program_fails_the_run(tmp_path, capsys, fault, message):
    pytest.importorskip("midicoth._core")
    argv = _vs_lzma_argv(tmp_path, generate("text", 3000))
    assert cli.main(argv + ["--reference", str(_fake_reference(tmp_path, fault))]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "speed_vs_lzma.md").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--stages", "59"], "unrecognized arguments: --stages 59"),
        (["vs-lzma", "--stages", "128"], "--stages: '128': a stage number is 0 to 127"),
        (["vs-lzma", "--stages", "lean+mix"], "--stages: stages 'lean+mix': "),
        (["vs-lzma", "--stages", "match+fast"], "unknown stage 'fast'"),
        (["--blocks", "2"], "unrecognized arguments: --blocks 2"),
        (["vs-lzma", "--blocks", "1"], "--blocks: N is at least 2"),
        (["vs-lzma", "--blocks", "two"], "--blocks: invalid int value: 'two'"),
        (["--reference", "mdc"], "unrecognized arguments: --reference mdc"),
        (["vs-lzma", "--reference", "no-such-program-here"], "no program"),
        (["vs-lzma", "--repeat", "0"], "--repeat: must be at least 1"),
        (["ablation", "--repeat", "2"], "unrecognized arguments: --repeat 2"),
        (["levels", "--codec", "zlib"], "unrecognized arguments: --codec zlib"),
        (["diagnose"], "the following arguments are required: SET/NAME|PATH"),
        (["list", "--out", "x"], "unrecognized arguments: --out x"),
    ],
)
def test_subcommand_options_are_checked(argv, message, capsys):
    """Each subcommand takes only its own options, and checks their values."""
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
