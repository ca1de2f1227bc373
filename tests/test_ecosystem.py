"""Integrations with fsspec, pandas, Dask, numcodecs and Zarr (midicoth.ecosystem).

The packages come from the ``ecosystem`` extra; each test skips when its
package is absent. The first test needs none of them: it checks that the
core package and ``midicoth.ecosystem`` import and work without them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

import midicoth

TEXT = "".join(f"{i},station {i % 7},{(i * 37) % 101 / 10}\n" for i in range(300))
OPTIONAL = ("fsspec", "pandas", "dask", "distributed", "numcodecs", "zarr")
NOT_INSTALLED = "is not installed (the ecosystem extra brings it)"


def _run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _entry_point_installed(group: str) -> bool:
    return any(ep.name == "midicoth" for ep in metadata.entry_points().select(group=group))


def test_core_works_without_the_optional_packages(tmp_path: Path) -> None:
    blocked = ", ".join(repr(name) for name in OPTIONAL)
    run = _run_python(
        f"""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ({blocked}):
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        import midicoth, midicoth.ecosystem
        assert midicoth.decompress(midicoth.compress(b"abc" * 100)) == b"abc" * 100
        assert midicoth.ecosystem.register_fsspec() is False
        try:
            midicoth.ecosystem.Midicoth
        except ImportError:
            pass
        else:
            raise AssertionError("the numcodecs codec loaded without numcodecs")
        assert not any(name.split(".")[0] in ({blocked}) for name in sys.modules)
        print("ok")
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


def test_core_import_does_not_load_the_integrations(tmp_path: Path) -> None:
    run = _run_python(
        """
        import sys, midicoth
        print(sorted(m for m in sys.modules if m.startswith("midicoth.")
                     and m.split(".")[1] in ("ecosystem", "_numcodecs", "_zarr")))
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


# -- fsspec -------------------------------------------------------------------


@pytest.fixture
def fsspec() -> Any:
    module = pytest.importorskip("fsspec", reason="fsspec " + NOT_INSTALLED)
    from midicoth import ecosystem

    assert ecosystem.register_fsspec() is True
    return module


def test_fsspec_registration(fsspec: Any) -> None:
    from fsspec.utils import infer_compression

    from midicoth import ecosystem

    assert "midicoth" in fsspec.available_compressions()
    assert infer_compression("table.csv.mdc") == "midicoth"
    assert ecosystem.register_fsspec() is True  # again: no duplicate error


@pytest.mark.parametrize("compression", ["infer", "midicoth"])
def test_fsspec_text_round_trip(fsspec: Any, tmp_path: Path, compression: str) -> None:
    path = str(tmp_path / "table.csv.mdc")
    with fsspec.open(path, "wt", compression=compression, encoding="utf-8") as f:
        f.write(TEXT)
    assert midicoth.decompress(Path(path).read_bytes()) == TEXT.encode()
    with fsspec.open(path, "rt", compression=compression, encoding="utf-8") as f:
        assert f.read() == TEXT


def test_fsspec_reads_streams_written_by_the_api(fsspec: Any, tmp_path: Path) -> None:
    path = tmp_path / "two.bin.mdc"
    path.write_bytes(midicoth.compress(b"first ") + midicoth.compress(b"second", block_size=4096))
    with fsspec.open(str(path), "rb", compression="infer") as f:
        assert f.read() == b"first second"


def test_fsspec_memory_filesystem(fsspec: Any) -> None:
    fs = fsspec.filesystem("memory")
    with fsspec.open("memory://ecosystem/a.txt.mdc", "wb", compression="infer") as f:
        f.write(TEXT.encode())
    assert midicoth.decompress(fs.cat("/ecosystem/a.txt.mdc")) == TEXT.encode()
    fs.rm("/ecosystem", recursive=True)


# -- pandas -------------------------------------------------------------------


@pytest.fixture
def pandas(fsspec: Any) -> Any:
    return pytest.importorskip("pandas", reason="pandas " + NOT_INSTALLED)


def _frame(pd: Any) -> Any:
    return pd.DataFrame({"city": ["Oslo", "Lima", "Pune"], "temp": [4.5, 19.0, 31.25]})


def test_pandas_fsspec_url_round_trip(pandas: Any, tmp_path: Path) -> None:
    df = _frame(pandas)
    url = "local://" + str(tmp_path / "weather.csv.mdc")
    for compression in ("infer", "midicoth"):
        df.to_csv(url, index=False, storage_options={"compression": compression})
        back = pandas.read_csv(url, storage_options={"compression": compression})
        pandas.testing.assert_frame_equal(back, df)
    assert midicoth.decompress((tmp_path / "weather.csv.mdc").read_bytes()).startswith(
        b"city,temp\n"
    )


def test_pandas_json_through_fsspec(pandas: Any, tmp_path: Path) -> None:
    df = _frame(pandas)
    url = "local://" + str(tmp_path / "weather.json.mdc")
    df.to_json(url, orient="records", storage_options={"compression": "infer"})
    back = pandas.read_json(url, orient="records", storage_options={"compression": "infer"})
    pandas.testing.assert_frame_equal(back, df)


def test_pandas_file_objects(pandas: Any, fsspec: Any, tmp_path: Path) -> None:
    df = _frame(pandas)
    path = tmp_path / "weather.csv.mdc"
    with midicoth.open(path, "wt", encoding="utf-8") as f:
        df.to_csv(f, index=False)
    with midicoth.open(path, "rt", encoding="utf-8") as f:
        pandas.testing.assert_frame_equal(pandas.read_csv(f), df)
    with fsspec.open(str(path), "rt", compression="infer") as f:
        pandas.testing.assert_frame_equal(pandas.read_csv(f), df)


def test_pandas_own_compression_argument_refuses_midicoth(pandas: Any, tmp_path: Path) -> None:
    """What the README says does not work: pandas' compression= knows only its own methods."""
    path = tmp_path / "weather.csv.mdc"
    path.write_bytes(midicoth.compress(b"a\n1\n"))
    for compression in ("midicoth", {"method": "midicoth"}):
        with pytest.raises(ValueError):
            pandas.read_csv(path, compression=compression)


# -- numcodecs ----------------------------------------------------------------


@pytest.fixture
def numcodecs() -> Any:
    return pytest.importorskip("numcodecs", reason="numcodecs " + NOT_INSTALLED)


CONFIGS = [
    {},
    {"memory_mib": 16},
    {"memory_mib": 32, "stages": midicoth.PAPER_STAGES},
    {"stages": midicoth.STAGE_MATCH, "block_size": 1 << 16},
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_numcodecs_config_round_trip(numcodecs: Any, config: dict[str, Any]) -> None:
    codec = numcodecs.get_codec({"id": "midicoth", **config})
    full = codec.get_config()
    assert full["id"] == "midicoth"
    assert {key: full[key] for key in config} == config
    assert set(full) == {"id", "memory_mib", "stages", "block_size", "level"}
    again = type(codec).from_config({k: v for k, v in full.items() if k != "id"})
    assert again == codec
    assert numcodecs.get_codec(full) == codec


def test_numcodecs_encode_decode(numcodecs: Any) -> None:
    np = pytest.importorskip("numpy", reason="numpy " + NOT_INSTALLED)
    from midicoth.ecosystem import Midicoth

    codec = Midicoth(memory_mib=16)
    data = np.sin(np.arange(4000) / 50.0).reshape(40, 100)
    packed = codec.encode(data)
    assert midicoth.decompress(packed) == data.tobytes()
    assert np.frombuffer(codec.decode(packed), dtype=data.dtype).tolist() == data.ravel().tolist()
    out = np.empty_like(data)
    codec.decode(packed, out=out)
    assert (out == data).all()
    assert codec.decode(codec.encode(b"")) == b""


def test_numcodecs_rejects_bad_parameters(numcodecs: Any) -> None:
    from midicoth.ecosystem import Midicoth

    with pytest.raises(ValueError):
        Midicoth(memory_mib=17)
    with pytest.raises(ValueError):
        numcodecs.get_codec({"id": "midicoth", "stages": -1})
    with pytest.raises(midicoth.MidicothError):
        Midicoth().decode(b"not a midicoth stream")


@pytest.mark.skipif(
    not _entry_point_installed("numcodecs.codecs"),
    reason="midicoth's entry points are not installed (pip install registers them)",
)
def test_numcodecs_finds_the_codec_by_entry_point(numcodecs: Any, tmp_path: Path) -> None:
    run = _run_python(
        """
        import sys, numcodecs
        codec = numcodecs.get_codec({"id": "midicoth", "memory_mib": 16})
        assert codec.decode(codec.encode(b"entry point" * 50)) == b"entry point" * 50
        print(type(codec).__module__, "midicoth.ecosystem" in sys.modules)
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["midicoth._numcodecs", "False"]


# -- Zarr ---------------------------------------------------------------------


@pytest.fixture
def zarr3() -> Any:
    zarr = pytest.importorskip("zarr", reason="zarr " + NOT_INSTALLED)
    if int(zarr.__version__.split(".")[0]) < 3:
        pytest.skip(f"zarr 3 is needed, not {zarr.__version__} (zarr 3 needs Python 3.11+)")
    return zarr


def _grid() -> Any:
    np = pytest.importorskip("numpy", reason="numpy " + NOT_INSTALLED)
    return (np.arange(120 * 90, dtype="int32").reshape(120, 90) % 1013) * 7


def test_zarr_format3_array(zarr3: Any, tmp_path: Path) -> None:
    from midicoth.ecosystem import MidicothZarrCodec

    grid = _grid()
    store = str(tmp_path / "grid.zarr")
    z = zarr3.create_array(
        store,
        shape=grid.shape,
        chunks=(40, 45),
        dtype=grid.dtype,
        compressors=MidicothZarrCodec(memory_mib=16),
    )
    z[:] = grid
    back = zarr3.open_array(store, mode="r")
    assert back.compressors == (MidicothZarrCodec(memory_mib=16),)
    assert (back[:] == grid).all()
    codec = MidicothZarrCodec(memory_mib=32, block_size=1 << 16)
    assert MidicothZarrCodec.from_dict(codec.to_dict()) == codec
    with pytest.raises(ValueError):
        MidicothZarrCodec.from_dict({"name": "midicoth", "configuration": {"preset": 3}})


def test_zarr_format2_array_with_the_numcodecs_codec(zarr3: Any, tmp_path: Path) -> None:
    pytest.importorskip("numcodecs", reason="numcodecs " + NOT_INSTALLED)
    from midicoth.ecosystem import Midicoth

    grid = _grid()
    store = str(tmp_path / "grid2.zarr")
    z = zarr3.create_array(
        store,
        shape=grid.shape,
        chunks=(60, 90),
        dtype=grid.dtype,
        compressors=Midicoth(memory_mib=16),
        zarr_format=2,
    )
    z[:] = grid
    back = zarr3.open_array(store, mode="r")
    assert back.compressors == (Midicoth(memory_mib=16),)
    assert (back[:] == grid).all()


@pytest.mark.skipif(
    not _entry_point_installed("zarr.codecs"),
    reason="midicoth's entry points are not installed (pip install registers them)",
)
def test_zarr_opens_arrays_by_entry_point(zarr3: Any, tmp_path: Path) -> None:
    """Arrays written with either codec open in a process that never imported midicoth."""
    pytest.importorskip("numcodecs", reason="numcodecs " + NOT_INSTALLED)
    from midicoth.ecosystem import Midicoth, MidicothZarrCodec

    grid = _grid()
    for name, kwargs in (
        ("v3.zarr", {"compressors": MidicothZarrCodec(memory_mib=16)}),
        ("v2.zarr", {"compressors": Midicoth(memory_mib=16), "zarr_format": 2}),
    ):
        z = zarr3.create_array(
            str(tmp_path / name), shape=grid.shape, chunks=(60, 45), dtype=grid.dtype, **kwargs
        )
        z[:] = grid
    run = _run_python(
        """
        import sys, zarr
        sums = [int(zarr.open_array(name, mode="r")[:].sum()) for name in ("v3.zarr", "v2.zarr")]
        print(*sums, "midicoth.ecosystem" in sys.modules)
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [str(int(grid.sum()))] * 2 + ["False"]


# -- Dask on a local distributed cluster --------------------------------------


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    pytest.importorskip("fsspec", reason="fsspec " + NOT_INSTALLED)
    pytest.importorskip("dask.bag", reason="dask " + NOT_INSTALLED)
    distributed = pytest.importorskip("dask.distributed", reason="distributed " + NOT_INSTALLED)
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        preload=["midicoth.ecosystem"],
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


def test_dask_bag_reads_midicoth_files_on_worker_processes(
    dask_client: Any, tmp_path: Path
) -> None:
    import dask.bag as db

    from midicoth import ecosystem

    assert ecosystem.register_fsspec()  # the client opens the files too
    parts = tmp_path / "parts"
    parts.mkdir()
    expected = []
    for i in range(4):
        lines = [f"part {i} line {j}\n" for j in range(250)]
        expected += lines
        with midicoth.open(parts / f"{i}.txt.mdc", "wt", encoding="utf-8") as f:
            f.writelines(lines)
    pattern = str(parts / "*.txt.mdc")
    bag = db.read_text(pattern, compression="midicoth")
    assert bag.npartitions == 4
    assert sorted(bag.compute()) == sorted(expected)
    # the reading happened in the worker processes, not in this one
    worker_pids = set(dask_client.run(os.getpid).values())
    assert len(worker_pids) == 2 and os.getpid() not in worker_pids
    reader_pids = set(bag.map_partitions(lambda part: [os.getpid()]).compute())
    assert reader_pids and reader_pids <= worker_pids
    inferred = db.read_text(pattern, compression="infer").count().compute()
    assert inferred == len(expected)


def test_dask_array_over_a_midicoth_zarr_array(dask_client: Any, tmp_path: Path) -> None:
    da = pytest.importorskip("dask.array", reason="dask " + NOT_INSTALLED)
    zarr = pytest.importorskip("zarr", reason="zarr " + NOT_INSTALLED)
    if int(zarr.__version__.split(".")[0]) < 3:
        pytest.skip(f"zarr 3 is needed, not {zarr.__version__} (zarr 3 needs Python 3.11+)")
    from midicoth.ecosystem import MidicothZarrCodec

    grid = _grid()
    store = str(tmp_path / "grid.zarr")
    z = zarr.create_array(
        store,
        shape=grid.shape,
        chunks=(30, 45),
        dtype=grid.dtype,
        compressors=MidicothZarrCodec(memory_mib=16),
    )
    z[:] = grid
    x = da.from_zarr(store)
    assert x.numblocks == (4, 2)
    assert int(x.sum().compute()) == int(grid.sum())
    assert (x.T[::7].compute() == grid.T[::7]).all()
    # write through Dask as well: each worker encodes its chunks
    (x * 2).to_zarr(str(tmp_path / "double.zarr"), compressors=MidicothZarrCodec(memory_mib=16))
    assert (zarr.open_array(str(tmp_path / "double.zarr"), mode="r")[:] == grid * 2).all()
