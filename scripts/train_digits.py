"""Train the digit model and write tracegen/scanning/digits.npz (development time only).

    python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch numpy pillow
    /tmp/torchvenv/bin/python scripts/train_digits.py --cache /tmp/digit-cells

The training cells are generated (scripts/digit_handwriting.py) and go through the package's own
`normalise`, loaded from its file so this venv needs no more than NumPy, Pillow and PyTorch. Everything is
seeded: the same versions on the same CPU give the same weights. A held-out split of generated cells sets
the softmax temperature (folded into the last layer) so the log-probabilities are calibrated.
docs/scanning.md ("The digit model") describes the data and the network.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import digit_handwriting  # noqa: E402

_spec = importlib.util.spec_from_file_location("digits", ROOT / "tracegen" / "scanning" / "digits.py")
assert _spec and _spec.loader
digits = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(digits)

CHANNELS = (12, 24, 48)  # the shipped model's widths (--channels, --hidden)
HIDDEN = 128


class Net(nn.Module):
    """Mirrors tracegen/scanning/digits.py's _forward: (conv 3x3, ReLU, max-pool 2) x 3, dense, dense."""

    def __init__(self, channels: tuple[int, ...] = CHANNELS, hidden: int = HIDDEN) -> None:
        super().__init__()
        widths = (1, *channels)
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1) for a, b in zip(widths, widths[1:], strict=False))
        side = digits.SIZE
        for _ in channels:
            side //= 2
        self.dense1 = nn.Linear(channels[-1] * side * side, hidden)
        self.dense2 = nn.Linear(hidden, len(digits.CLASSES))
        self.drop = nn.Dropout(0.3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = nn.functional.max_pool2d(torch.relu(conv(x)), 2)
        return self.dense2(self.drop(torch.relu(self.dense1(x.flatten(1)))))


def cells(count: int, seed: int, cache: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """`count` generated, normalised cells and their class indices (cached as .npz when asked)."""
    if cache and cache.exists():
        with np.load(cache) as stored:
            return stored["x"], stored["y"]
    crops, labels = digit_handwriting.dataset(count, seed)
    x = np.stack([digits.normalise(c) for c in crops])
    y = np.array([digits.CLASSES.index(digit_handwriting.LABELS[i]) for i in labels])
    if cache:
        np.savez(cache, x=x, y=y)
    return x, y


def moved(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each image turned (up to 8 degrees), sheared, scaled (+-10 %) and shifted (up to 1.5 pixels) at random:
    the same cell seen again differently each epoch, and centring by mass is never exact on a scan."""
    n = len(batch)
    turn = (torch.rand(n, generator=generator) - 0.5) * 2 * np.radians(8)
    shear = (torch.rand(n, generator=generator) - 0.5) * 0.3
    scale = 1 + (torch.rand(n, generator=generator) - 0.5) * 0.2
    shift = (torch.rand(n, 2, generator=generator) - 0.5) * 3 / (digits.SIZE / 2)
    cos, sin = torch.cos(turn) / scale, torch.sin(turn) / scale
    theta = torch.stack([torch.stack([cos, -sin + shear, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = nn.functional.affine_grid(theta, list(batch.shape), align_corners=False)
    return nn.functional.grid_sample(batch, grid, align_corners=False, padding_mode="zeros")


def train(x: np.ndarray, y: np.ndarray, epochs: int, seed: int, net: Net) -> Net:
    """`net` trained (the global generator seeded again for the dropout; a second one draws the batches and
    their moves)."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    images, labels = torch.from_numpy(x)[:, None], torch.from_numpy(y)
    optimiser = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = epochs * ((len(x) + 127) // 128)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=steps)
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(x), generator=generator)
        total, started = 0.0, time.process_time()
        for start in range(0, len(x), 128):
            index = order[start:start + 128]
            loss = nn.functional.cross_entropy(net(moved(images[index], generator)), labels[index],
                                              label_smoothing=0.02)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(index)
        print(f"epoch {epoch + 1}: loss {total / len(x):.4f} ({time.process_time() - started:.0f} s CPU)", flush=True)
    return net.eval()


def temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The softmax temperature minimising the held-out negative log-likelihood (a fine grid: one number)."""
    grid = np.exp(np.linspace(np.log(0.3), np.log(5.0), 400))
    losses = [float(nn.functional.cross_entropy(logits / t, labels)) for t in grid]
    return float(grid[int(np.argmin(losses))])


def write(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz with fixed timestamps, so the same weights give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue())
    path.write_bytes(buffer.getvalue())


def export(net: Net, temp: float) -> dict[str, np.ndarray]:
    """The network as a one-member ensemble (digits.py's `<member>/<layer>` names), temperature folded in."""
    arrays = {}
    for i, conv in enumerate(net.convs, start=1):
        arrays[f"0/conv{i}.weight"] = conv.weight.detach().numpy().astype(np.float32)
        arrays[f"0/conv{i}.bias"] = conv.bias.detach().numpy().astype(np.float32)
    arrays["0/dense1.weight"] = net.dense1.weight.detach().numpy().astype(np.float32)
    arrays["0/dense1.bias"] = net.dense1.bias.detach().numpy().astype(np.float32)
    arrays["0/dense2.weight"] = (net.dense2.weight.detach().numpy() / temp).astype(np.float32)
    arrays["0/dense2.bias"] = (net.dense2.bias.detach().numpy() / temp).astype(np.float32)
    arrays["temperature"] = np.array(temp, dtype=np.float32)  # already folded into dense2; kept as a record
    return arrays


def ensemble(files: list[Path], hx: np.ndarray, hy: np.ndarray) -> dict[str, np.ndarray]:
    """Networks trained apart (each file a one-member ensemble) as one ensemble: their mean logits, with a
    temperature fitted anew on held-out cells and folded into every member's last layer."""
    members = []
    for path in files:  # one-network files of this script, or of its versions before ensembles (no "0/")
        with np.load(path) as stored:
            members.append({name.removeprefix("0/"): stored[name] for name in stored.files if name != "temperature"})
    logits = np.mean([digits._network(hx, weights) for weights in members], axis=0)
    labels = torch.from_numpy(hy)
    temp = temperature(torch.from_numpy(logits.astype(np.float32)), labels)
    print(f"ensemble held-out accuracy {float((logits.argmax(1) == hy).mean()):.4f}, temperature {temp:.3f}")
    arrays = {}
    for i, weights in enumerate(members):
        for name, array in weights.items():
            arrays[f"{i}/{name}"] = (array / temp if name.startswith("dense2.") else array).astype(np.float32)
    arrays["temperature"] = np.array(temp, dtype=np.float32)  # the ensemble's, folded in; kept as a record
    return arrays


def _version(handwriting: list[Path]) -> str:
    """A cache is only as good as the generator, `normalise` and the handwriting that made it."""
    sources = (ROOT / "scripts" / "digit_handwriting.py", ROOT / "tracegen" / "scanning" / "digits.py", *handwriting)
    return hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:8]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="generated training cells")
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, help="folder keeping the generated cells between runs")
    parser.add_argument("--channels", default=",".join(map(str, CHANNELS)), help="convolutions' widths")
    parser.add_argument("--hidden", type=int, default=HIDDEN, help="units of the dense layer")
    parser.add_argument("--coarse", type=float, default=digit_handwriting.COARSE,
                        help="share of digits captured on a coarse grid (digit_handwriting.coarse)")
    parser.add_argument("--handwriting", type=Path, nargs="+", default=[], metavar="FILE",
                        help="people's handwriting in UCI's optdigits-orig format (.tra, .cv): digit_handwriting.REAL "
                             "of each digit's cells are written from these bitmaps")
    parser.add_argument("--real", type=float, default=digit_handwriting.REAL,
                        help="share of a digit's cells written from --handwriting")
    parser.add_argument("--ensemble", type=Path, nargs="+", metavar="NPZ",
                        help="no training: join these trained networks into one ensemble")
    parser.add_argument("--out", type=Path, default=ROOT / "tracegen" / "scanning" / "digits.npz")
    return parser.parse_args()


def trained(args: argparse.Namespace, hx: np.ndarray, hy: np.ndarray, tag: str) -> dict[str, np.ndarray]:
    """One network trained on generated cells, its temperature fitted on the held-out ones."""
    x, y = cells(args.count, args.seed, args.cache / f"train-{args.count}-{args.seed}-{tag}.npz" if args.cache
                 else None)
    print(f"{len(x)} training cells, {len(hx)} held out", flush=True)
    torch.manual_seed(args.seed)
    net = train(x, y, args.epochs, args.seed, Net(tuple(int(c) for c in args.channels.split(",")), args.hidden))
    with torch.no_grad():
        logits = net(torch.from_numpy(hx)[:, None])
    labels = torch.from_numpy(hy)
    temp = temperature(logits, labels)
    read = logits.argmax(1)
    print(f"held-out accuracy {float((read == labels).float().mean()):.4f}, temperature {temp:.3f}", flush=True)
    print("per class: " + ", ".join(f"{name or 'empty'} {float((read[labels == i] == i).float().mean()):.3f}"
                                   for i, name in enumerate(digits.CLASSES)), flush=True)
    return export(net, temp)


def main() -> None:
    args = arguments()
    torch.set_num_threads(1)  # a shared machine
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
    digit_handwriting.COARSE = args.coarse
    digit_handwriting.REAL = args.real
    digit_handwriting.load_bitmaps(args.handwriting)
    tag = f"{_version(args.handwriting)}-c{args.coarse:g}" + (f"-r{args.real:g}" if args.handwriting else "")
    held = args.count // 10
    hx, hy = cells(held, args.seed + 1, args.cache / f"held-{held}-{args.seed + 1}-{tag}.npz" if args.cache
                   else None)
    write(args.out, ensemble(args.ensemble, hx, hy) if args.ensemble else trained(args, hx, hy, tag))
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
