"""ilrl.torch -- PyTorch policies in and out of the network file
(docs/formats.md "Network file", docs/network-and-losses.md).

  export_network(module, path)  writes the network file that
                                `ilrl-landscape --theta` and
                                `ilrl-train --init` read;
  load_network(path)            -> torch.nn.Sequential (float64);
  network_theta(module)         -> (layer_sizes, activation, theta): the
                                flat parameter vector, without a file.

What can be exported: an nn.Sequential of Linear layers (with biases) with
one activation between each two of them, Tanh or ReLU, the same kind
throughout, and a Linear layer last (its outputs are the logits, K >= 2).
That is exactly the network of docs/network-and-losses.md; anything else
(a Softmax at the end, a Dropout, a LayerNorm, mixed activations, a Linear
without bias, a nested module) is refused with a NetworkError (exit 3)
naming the layer by its index in the Sequential, because the landscape
programs would silently compute another function.

Layout.  PyTorch's Linear.weight is (out, in), one row per output unit,
and computes x W^T + b -- the same matrix as ours (mlp.h: W_l row by row,
one row per output unit, then b_l).  So theta is, layer after layer,
weight.reshape(-1) (row-major) then bias: no transpose.  That is tested,
not assumed: tests/py_torch.py checks logits and losses of the C library
against torch on the same file, and a network that a transpose would
break (non-square layers).

Precision: parameters are written as float64 whatever the module's dtype
(a float32 module's values are converted exactly); load_network returns a
float64 module, so its outputs match the C library's to rounding.

torch is imported when a function runs, so `import ilrl.torch` and the rest
of the package work without it.
"""

import os

import numpy as np

from ilrl.errors import InputError

FILE_KIND = "network"
ACTIVATIONS = ("tanh", "relu")
MAX_LAYERS = 63            # network_io.c: at most 64 layer sizes
MAX_LAYER_SIZE = 1000000   # network_io.c's bound on each size


class NetworkError(InputError):
    """A module that cannot be exported, or a bad network file (exit 3)."""


def _torch():
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"ilrl.torch needs PyTorch ({error}); on Debian: "
                          f"apt-get install python3-torch") from None
    return torch


def network_theta(module):
    """(layer_sizes, activation, theta) of an exportable module (see the
    header); NetworkError naming the first layer at fault otherwise."""
    torch = _torch()
    nn = torch.nn
    if type(module) is not nn.Sequential:
        raise NetworkError(f"ilrl.torch: the module is a {type(module).__name__}, not an "
                           f"nn.Sequential of Linear and Tanh/ReLU layers")
    layers = list(module)
    if not layers:
        raise NetworkError("ilrl.torch: the nn.Sequential is empty")
    kinds = {nn.Tanh: "tanh", nn.ReLU: "relu"}
    sizes, activation, parts = [], None, []
    for index, layer in enumerate(layers):
        name = f"layer {index} ({layer.__class__.__name__})"
        want_linear = index % 2 == 0
        if type(layer) is nn.Linear:
            if not want_linear:
                raise NetworkError(f"ilrl.torch: {name} follows a Linear layer without "
                                   f"an activation (Tanh or ReLU) between them")
            if layer.bias is None:
                raise NetworkError(f"ilrl.torch: {name} has no bias (bias=False); the "
                                   f"network file has a bias for every unit")
            if sizes and layer.in_features != sizes[-1]:
                raise NetworkError(f"ilrl.torch: {name} takes {layer.in_features} inputs "
                                   f"but the layer before gives {sizes[-1]}")
            if not sizes:
                sizes.append(layer.in_features)
            sizes.append(layer.out_features)
            for tensor, what in ((layer.weight, "weight"), (layer.bias, "bias")):
                values = tensor.detach().to("cpu", torch.float64).numpy()
                if not np.isfinite(values).all():
                    raise NetworkError(f"ilrl.torch: {name}: its {what} holds NaN or "
                                       f"infinite values")
                parts.append(values.reshape(-1))
        elif type(layer) in kinds:
            if want_linear:
                what = "starts the network" if index == 0 else "follows another activation"
                raise NetworkError(f"ilrl.torch: {name} {what}; activations go between "
                                   f"Linear layers")
            if activation is not None and kinds[type(layer)] != activation:
                raise NetworkError(f"ilrl.torch: {name}: the network mixes activations "
                                   f"({activation} before); one kind throughout")
            activation = kinds[type(layer)]
        else:
            raise NetworkError(f"ilrl.torch: {name} cannot be exported: only Linear, "
                               f"Tanh and ReLU layers (docs/network-and-losses.md)")
    if type(layers[-1]) is not nn.Linear:
        raise NetworkError(f"ilrl.torch: the last layer ({len(layers) - 1}, "
                           f"{layers[-1].__class__.__name__}) must be Linear: its outputs "
                           f"are the logits (the softmax is part of the losses)")
    if sizes[-1] < 2:
        raise NetworkError(f"ilrl.torch: the last Linear layer has {sizes[-1]} output; "
                           f"a policy needs at least 2 actions")
    if len(sizes) - 1 > MAX_LAYERS or max(sizes) > MAX_LAYER_SIZE:
        raise NetworkError(f"ilrl.torch: layer sizes {sizes} exceed what the network "
                           f"file holds ({MAX_LAYERS} layers, {MAX_LAYER_SIZE} units each)")
    return sizes, activation or "tanh", np.concatenate(parts)


def export_network(module, path, *, force=False, history=None, source=None):
    """Writes `module` (see the header) to the network file `path`,
    atomically like ilrl.demo.write_demo (temporary in the same directory,
    space reserved, synced, linked or with force renamed into place).
    NetworkError (3) for a module that cannot be exported, OutputError (4)
    if path exists without force or cannot be written.  Returns path."""
    from ilrl import demo
    import netCDF4

    path = os.fspath(path)
    sizes, activation, theta = network_theta(module)
    demo.check_output(path, force)

    def write(temp):
        with netCDF4.Dataset(temp, "w", format="NETCDF4") as dataset:
            dataset.createDimension("param", theta.size)
            variable = dataset.createVariable("theta", "f8", ("param",), fill_value=False)
            variable.long_name = "policy network parameters (mlp.h layout)"
            dataset.ilrl_file_kind = FILE_KIND
            dataset.setncattr("layer_sizes", np.asarray(sizes, dtype=np.int32))
            dataset.activation = activation
            dataset.history = demo._history(history or "ilrl.torch.export_network")
            dataset.source = source or (f"{demo.PACKAGE_NAME} "
                                        f"{demo._package_version()} (python ilrl.torch)")
            variable[:] = theta

    return demo.write_atomically(path, force, theta.size * 8 + 65536, write)


def read_network(path):
    """(layer_sizes, activation, theta) of a network file, checked as
    network_io.c checks it (kind, shape, fill and non-finite values);
    NetworkError naming the file otherwise."""
    import netCDF4
    from ilrl import demo

    path = os.fspath(path)
    try:
        demo._check_regular(path)
    except demo.DemoError as error:
        raise NetworkError(str(error)) from None
    try:
        dataset = netCDF4.Dataset(path, "r")
    except (OSError, RuntimeError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise NetworkError(f"{path}: not a readable NetCDF file ({reason})") from None
    with dataset:
        kind = getattr(dataset, "ilrl_file_kind", None)
        if kind != FILE_KIND:
            raise NetworkError(f"{path}: ilrl_file_kind is '{kind}', not '{FILE_KIND}'")
        sizes = np.atleast_1d(getattr(dataset, "layer_sizes", np.array([])))
        activation = getattr(dataset, "activation", None)
        if activation not in ACTIVATIONS:
            raise NetworkError(f"{path}: activation '{activation}' is not tanh or relu")
        if (sizes.ndim != 1 or not 2 <= sizes.size <= MAX_LAYERS + 1
                or not np.issubdtype(sizes.dtype, np.integer)
                or sizes.min() < 1 or sizes.max() > MAX_LAYER_SIZE):
            raise NetworkError(f"{path}: attribute layer_sizes is not a network's layer sizes")
        sizes = [int(s) for s in sizes]
        count = sum(sizes[l + 1] * (sizes[l] + 1) for l in range(len(sizes) - 1))
        if "param" not in dataset.dimensions:
            raise NetworkError(f"{path}: dimension 'param' missing")
        length = len(dataset.dimensions["param"])
        if length != count:
            raise NetworkError(f"{path}: theta has {length} parameters but layer_sizes "
                               f"make {count}")
        if "theta" not in dataset.variables:
            raise NetworkError(f"{path}: variable 'theta' missing")
        variable = dataset["theta"]
        if variable.dtype != np.float64 or variable.dimensions != ("param",):
            raise NetworkError(f"{path}: variable theta must be double theta(param)")
        variable.set_auto_mask(False)
        theta = np.asarray(variable[:], dtype=np.float64)
        fill = getattr(variable, "_FillValue", netCDF4.default_fillvals["f8"])
        unwritten = np.flatnonzero(theta == fill)
        if unwritten.size:
            raise NetworkError(f"{path}: theta[{unwritten[0]}] is a fill value (never written)")
        bad = np.flatnonzero(~np.isfinite(theta))
        if bad.size:
            raise NetworkError(f"{path}: theta[{bad[0]}] is not finite")
    return sizes, activation, theta


def build_network(sizes, activation, theta):
    """The float64 nn.Sequential of layer sizes, activation and theta."""
    torch = _torch()
    nn = torch.nn
    layers, offset = [], 0
    for l in range(len(sizes) - 1):
        n_in, n_out = sizes[l], sizes[l + 1]
        linear = nn.Linear(n_in, n_out, dtype=torch.float64)
        weight = theta[offset:offset + n_out * n_in].reshape(n_out, n_in)
        offset += n_out * n_in
        bias = theta[offset:offset + n_out]
        offset += n_out
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
            linear.bias.copy_(torch.from_numpy(np.ascontiguousarray(bias)))
        layers.append(linear)
        if l + 1 < len(sizes) - 1:
            layers.append(nn.Tanh() if activation == "tanh" else nn.ReLU())
    return nn.Sequential(*layers)


def load_network(path):
    """The network file `path` as a float64 torch.nn.Sequential (Linear,
    activation, ..., Linear).  NetworkError (exit 3) naming the file for a
    file network_io.c would refuse."""
    _torch()   # first: no file work for nothing
    return build_network(*read_network(path))
