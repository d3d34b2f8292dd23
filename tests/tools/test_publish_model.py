"""tools/publish_model.py and tools/convert/to_timm.py on a checkpoint of a real tiny run."""
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import timm
import torch

from deitlt_mm.apis import init_model
from deitlt_mm.fileio import load_checkpoint_file
from tests._tiny_vit import CLASSES, TRAIN_COUNTS, config_text, read_json
from tests._tools import load_tool


def run(tool, *argv):
    """``main(argv)`` of a tool: None, or its one-line error (after ``error: ``)."""
    try:
        load_tool(tool).main([str(arg) for arg in argv])
    except SystemExit as exit_info:
        assert exit_info.code.startswith('error: ') and '\n' not in exit_info.code
        return exit_info.code[len('error: '):]
    return None


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    """A 2-epoch tiny DeiT-LT student run whose checkpoint also keeps the best score."""
    folder = tmp_path_factory.mktemp('run')
    config = folder / 'tiny_student.py'
    config.write_text(config_text(train=True)
                      + "default_hooks['checkpoint']['save_best'] = 'auto'\n")
    assert run('train.py', config, '--work-dir', folder / 'work') is None
    return folder


def test_published_file_holds_weights_and_meta_under_its_sha256(run_dir, capsys):
    source = run_dir / 'work' / 'epoch_2.pth'
    assert run('publish_model.py', source, run_dir / 'to_share' / 'tiny_student.pth') is None
    published, = (run_dir / 'to_share').iterdir()
    data = published.read_bytes()
    assert published.name == f'tiny_student-{hashlib.sha256(data).hexdigest()[:8]}.pth'
    umask = os.umask(0)
    os.umask(umask)
    assert published.stat().st_mode & 0o777 == 0o666 & ~umask
    assert re.fullmatch(rf'published {published} \(\d[\d,]* bytes; {source}: \d[\d,]* bytes\)\n',
                        capsys.readouterr().out)

    original, shared = load_checkpoint_file(source), load_checkpoint_file(published)
    assert set(original) >= {'optimizer', 'message_hub'}
    assert set(shared) == {'meta', 'state_dict'}
    assert list(shared['state_dict']) == list(original['state_dict'])
    assert all(torch.equal(shared['state_dict'][key], value)
               for key, value in original['state_dict'].items())
    meta = shared['meta']
    assert meta['cfg'] == original['meta']['cfg']
    assert (meta['epoch'], meta['iter']) == (2, 6)
    assert tuple(meta['dataset_meta']['classes']) == CLASSES
    assert meta['train_class_counts'] == TRAIN_COUNTS
    assert meta['dataset'] == 'RandomImageDataset'
    best = original['message_hub']['runtime_info']
    assert meta['best_score'] == best['best_score'] and 'best_ckpt' in meta
    assert len(data) < source.stat().st_size

    # The same checkpoint gives the same file (no time stamps): publishing twice is a no-op.
    assert run('publish_model.py', source, run_dir / 'to_share' / 'tiny_student') is None
    assert [path.name for path in (run_dir / 'to_share').iterdir()] == [published.name]


@pytest.fixture(scope='module')
def published(run_dir):
    assert run('publish_model.py', run_dir / 'work' / 'epoch_2.pth', run_dir / 'pub') is None
    path, = run_dir.glob('pub-*.pth')
    return path


def test_published_file_loads_in_the_test_tool_and_init_model(run_dir, published):
    config = run_dir / 'tiny_student.py'
    results = {}
    for name, checkpoint in (('trained', run_dir / 'work' / 'epoch_2.pth'),
                             ('published', published)):
        out = run_dir / f'{name}.json'
        assert run('test.py', config, checkpoint, '--out', out, '--work-dir',
                   run_dir / f'test_{name}') is None
        results[name] = read_json(out)
    assert (results['published']['epoch'], results['published']['iter']) == (2, 6)
    assert results['published']['metrics'] == results['trained']['metrics']
    # The training counts came from the published meta: shot groups are reported.
    assert results['published']['long_tail']['long_tail']['train_class_counts'] == TRAIN_COUNTS

    model = init_model(str(config), str(published))
    assert tuple(model._dataset_meta['classes']) == CLASSES
    assert model._checkpoint_meta['train_class_counts'] == TRAIN_COUNTS


def test_timm_export_of_the_published_file_predicts_as_ours(run_dir, published, capsys):
    exported = run_dir / 'timm' / 'student_timm.pth'
    assert run('convert/to_timm.py', published, exported) is None
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f'wrote {exported}; load it with'
    # The printed lines are the instructions: run them.
    namespace = dict(timm=timm, torch=torch)
    exec('\n'.join(line.strip() for line in printed[1:]), namespace)
    theirs = namespace['model'].eval()

    ours = init_model(str(run_dir / 'tiny_student.py'), str(published))
    images = torch.randn(3, 3, 8, 8)
    with torch.no_grad():
        cls_logits, dist_logits = ours(images, mode='tensor')
        features = theirs.forward_features(images)
        torch.testing.assert_close(theirs.head(features[:, 0]), cls_logits, atol=1e-5, rtol=0)
        torch.testing.assert_close(theirs.head_dist(features[:, 1]), dist_logits, atol=1e-5,
                                   rtol=0)
        torch.testing.assert_close(theirs(images), (cls_logits + dist_logits) / 2, atol=1e-5,
                                   rtol=0)


def test_bad_inputs_stop_with_one_line_and_write_nothing(run_dir, published, tmp_path):
    timm_file = tmp_path / 'student_timm.pth'
    assert run('convert/to_timm.py', published, timm_file) is None
    assert run('publish_model.py', timm_file, tmp_path / 'out') == (
        f'{timm_file}: not a checkpoint of tools/train.py (expected `state_dict` and `meta` '
        'with the training config `meta.cfg`), found tensor keys (a plain state dict); '
        'publish the epoch_*.pth or best_*.pth of a run (published DeiT-LT files are '
        'converted with tools/convert/deitlt_student.py).')
    (tmp_path / 'a_file').write_text('x')
    assert run('publish_model.py', published, tmp_path / 'a_file' / 'out') == (
        f'OUT {tmp_path}/a_file/out: {tmp_path}/a_file is a file, not a folder; choose a '
        'writable path')
    assert run('publish_model.py', tmp_path / 'nope.pth', tmp_path / 'out') == (
        f'checkpoint not found: {tmp_path}/nope.pth')
    assert run('convert/to_timm.py', timm_file, tmp_path / 'twice.pth') == (
        f"{timm_file}: not a DeiT-LT student (DistilledVisionTransformer with DIST token + "
        "DualHead); missing ['backbone.cls_token', 'backbone.dist_token', "
        "'backbone.patch_embed.proj.weight', 'backbone.pos_embed', 'head.head.weight', "
        "'head.head_dist.weight'], not in timm's VisionTransformerDistilled ['blocks.0.attn."
        "proj.bias', 'blocks.0.attn.proj.weight', 'blocks.0.attn.qkv.bias', 'blocks.0.attn.qkv."
        "weight', 'blocks.0.mlp.fc1.bias', 'blocks.0.mlp.fc1.weight', 'blocks.0.mlp.fc2.bias', "
        "'blocks.0.mlp.fc2.weight', ... 35 in all].")
    # A plain state dict in our keys has no config to tell the heads: --num-heads does.
    plain = tmp_path / 'plain.pth'
    torch.save(load_checkpoint_file(published)['state_dict'], plain)
    assert run('convert/to_timm.py', plain, tmp_path / 'plain_timm.pth') == (
        f'{plain}: no training config (meta.cfg) to read the number of attention heads from; '
        'pass it with --num-heads (the arch num_heads of the model config).')
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        'a_file', 'plain.pth', 'student_timm.pth']
    assert run('convert/to_timm.py', plain, tmp_path / 'plain_timm.pth', '--num-heads',
               '2') is None
    assert torch.load(tmp_path / 'plain_timm.pth', weights_only=True).keys() == torch.load(
        timm_file, weights_only=True).keys()


@pytest.mark.parametrize('tool', ['publish_model.py', 'convert/to_timm.py'])
def test_tools_read_training_checkpoints_in_a_fresh_process(run_dir, tool):
    # The test process has run setup_env (conftest); a user's shell has not. A training
    # checkpoint holds mmengine's log objects, which only setup_env's allow-list admits.
    repo = Path(__file__).resolve().parents[2]
    out = run_dir / 'fresh' / f'{tool.replace("/", "_")}.pth'
    result = subprocess.run(
        [sys.executable, str(repo / 'tools' / tool), str(run_dir / 'work' / 'epoch_2.pth'),
         str(out)], capture_output=True, text=True, cwd=repo,
        env={**os.environ, 'PYTHONPATH': str(repo)})
    assert result.returncode == 0, result.stderr
    assert list(out.parent.iterdir())
