"""PNG plot of the per-class training-IoU curves with the trigger points."""
import io

import numpy as np

from ..utils.atomic_write import write_bytes_atomic


def plot_iou_curves(path, iters, ious, starts, class_names=None):
    """Write the plot atomically to ``path``.

    Uses matplotlib's object API with the Agg canvas, never pyplot, so it neither
    needs a display nor changes the process-wide backend.

    Args:
        path (str): output PNG.
        iters (Sequence[int]): check iterations.
        ious (Sequence[Sequence[float]]): [n_checks][C] IoU (NaN = no pixels).
        starts (Sequence[Sequence[int]]): [iteration, class] of each trigger.
        class_names (Sequence[str], optional): legend labels.
    """
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    iters = [int(t) for t in iters]
    ious = np.asarray(ious, dtype=np.float64).reshape(len(iters), -1)
    num_classes = ious.shape[1]
    names = list(class_names) if class_names else [str(c) for c in range(num_classes)]
    colors = colormaps['tab20']
    fig = Figure(figsize=(10, 6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for c in range(num_classes):
        ax.plot(iters, ious[:, c], color=colors(c % 20), lw=1, label=names[c])
    row_of = {t: row for row, t in enumerate(iters)}
    for iteration, c in starts:
        if iteration in row_of:
            ax.plot(iteration,
                    ious[row_of[iteration], c],
                    'v',
                    color=colors(c % 20),
                    ms=8,
                    mec='k')
    ax.set_xlabel('iteration')
    ax.set_ylabel('training IoU (prediction vs. label)')
    ax.set_ylim(0, 1)
    ax.set_title('per-class training IoU; triangles: correction starts')
    ax.grid(alpha=0.3)
    if num_classes:
        ax.legend(fontsize=7, loc='upper left', bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=100)
    write_bytes_atomic(path, buffer.getvalue())
