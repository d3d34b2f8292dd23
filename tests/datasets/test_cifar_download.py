"""CIFAR-LT files: downloaded when missing from a local HTTP server, md5 of every file
checked (also of files already on disk), ``verify_md5=False`` accepted, rank 0 only."""
import hashlib
import http.server
import tarfile
import threading
from functools import partial

import mmengine.dist as dist
import pytest

from deitlt_mm.datasets import CIFAR10LT
from deitlt_mm.errors import ChecksumError, DataFileNotFoundError, DownloadError
from deitlt_mm.registry import DATASETS
from tests._stub_data import write_cifar


def _md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests = []

    def do_GET(self):
        self.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def cifar_server(tmp_path, monkeypatch):
    """A fake cifar-10-python.tar.gz served on 127.0.0.1; CIFAR10LT's url and md5s point
    at it. Yields the list of requested paths."""
    served = tmp_path / 'served'
    write_cifar(served / 'build', 10, per_class=10)
    folder = served / 'build' / 'cifar-10-batches-py'
    with tarfile.open(served / 'cifar-10-python.tar.gz', 'w:gz') as tar:
        tar.add(folder, arcname='cifar-10-batches-py')
    handler = partial(_Handler, directory=str(served))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.requests = []
    port = server.server_address[1]
    monkeypatch.setattr(CIFAR10LT, 'url', f'http://127.0.0.1:{port}/cifar-10-python.tar.gz')
    monkeypatch.setattr(CIFAR10LT, 'tgz_md5', _md5(served / 'cifar-10-python.tar.gz'))
    monkeypatch.setattr(CIFAR10LT, 'train_list', [
        [f'data_batch_{i}', _md5(folder / f'data_batch_{i}')] for i in range(1, 6)])
    monkeypatch.setattr(CIFAR10LT, 'test_list', [['test_batch', _md5(folder / 'test_batch')]])
    yield _Handler.requests
    server.shutdown()
    server.server_close()


def _build(root, **kwargs):
    return DATASETS.build(dict(type='CIFAR10LT', data_root=str(root), **kwargs))


def test_missing_files_are_downloaded_with_a_progress_bar(tmp_path, cifar_server, capsys):
    root = tmp_path / 'data'
    train = _build(root)
    assert len(train) == 21  # IF100 of 10 per class: 10 + 5 + 3 + 2 + 1
    assert any(path.endswith('cifar-10-python.tar.gz') for path in cifar_server)
    assert (root / 'cifar-10-batches-py' / 'test_batch').is_file()
    assert '100%' in capsys.readouterr().err  # tqdm's bar
    # Files on disk with their md5: nothing is downloaded again, not even the archive.
    (root / 'cifar-10-python.tar.gz').unlink()
    cifar_server.clear()
    assert len(_build(root, split='test')) == 100
    assert cifar_server == []


def test_md5_mismatch_of_a_file_on_disk_is_one_line(tmp_path, cifar_server):
    root = tmp_path / 'data'
    _build(root)
    batch = root / 'cifar-10-batches-py' / 'data_batch_3'
    expected = _md5(batch)
    batch.write_bytes(batch.read_bytes() + b'\0')
    cifar_server.clear()
    with pytest.raises(ChecksumError) as error:
        _build(root)
    assert str(error.value) == (
        f'CIFAR10LT: {batch} has md5 {_md5(batch)}, expected {expected} (the official '
        'cifar-10-python.tar.gz); delete it to download it again, or set verify_md5=False in '
        'the dataset config to accept a re-packed set.')
    assert cifar_server == []  # the user's file is not replaced behind their back
    assert len(_build(root, verify_md5=False)) == 21  # the explicit opt-out


def test_a_downloaded_archive_with_another_md5_is_refused(tmp_path, cifar_server,
                                                          monkeypatch):
    monkeypatch.setattr(CIFAR10LT, 'tgz_md5', '0' * 32)
    with pytest.raises(ChecksumError, match=r'cifar-10-python.tar.gz has md5 [0-9a-f]{32}, '
                       'expected 0{32}'):
        _build(tmp_path)
    assert not (tmp_path / 'cifar-10-batches-py').exists()
    assert len(_build(tmp_path, verify_md5=False)) == 21  # extracts the kept archive


def test_a_failed_download_is_one_line(tmp_path, cifar_server, monkeypatch):
    monkeypatch.setattr(CIFAR10LT, 'url', CIFAR10LT.url.replace('cifar-10', 'nothing'))
    with pytest.raises(DownloadError, match=r'CIFAR10LT: could not download http://127.0.0.1:'
                       r'\d+/nothing-python.tar.gz to .*cifar-10-python.tar.gz \(File not '
                       r'found\); download it yourself and extract it into '):
        _build(tmp_path)


def test_without_download_missing_files_stop_the_build(tmp_path, cifar_server):
    with pytest.raises(DataFileNotFoundError, match='set download=True'):
        _build(tmp_path, download=False)
    assert cifar_server == []


def test_only_rank_0_downloads_the_others_wait(tmp_path, cifar_server, monkeypatch):
    # Another rank: no request of its own; it reads the files once rank 0 has passed the
    # barrier (simulated: rank 0's download happens while this rank waits in it).
    requests_before_wait = []

    def barrier():
        requests_before_wait.append(len(cifar_server))
        with monkeypatch.context() as rank_0:
            rank_0.setattr(dist, 'is_main_process', lambda: True)
            rank_0.setattr(dist, 'barrier', lambda: None)
            _build(tmp_path)
        cifar_server.append('rank 0 done')

    monkeypatch.setattr(dist, 'is_main_process', lambda: False)
    monkeypatch.setattr(dist, 'barrier', barrier)
    assert len(_build(tmp_path)) == 21
    assert requests_before_wait == [0]  # waited without a request of its own
    assert cifar_server[-1] == 'rank 0 done'  # and made none after the wait

    monkeypatch.setattr(dist, 'barrier', lambda: None)  # rank 0 failed: no files
    with pytest.raises(DataFileNotFoundError):
        _build(tmp_path / 'other')
