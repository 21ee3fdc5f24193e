"""Write test/fixtures/data/: small .npy files in the layouts numpy produces, and a tiny
ann-benchmarks-style .hdf5 file, so that the loaders are checked against files written by numpy
and h5py themselves (not by vqbench's own writers).

    /usr/bin/python3 scripts/make-data-fixtures.py      (Debian's python3-numpy, python3-h5py)
"""
import os
import numpy as np
import h5py

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "test", "fixtures", "data")
os.makedirs(out, exist_ok=True)

# The reference values: 3 x 4, exactly representable in float16 too.
ref = np.array([[0.5, -1.0, 2.0, 0.25], [3.0, -0.125, 1.5, 4.0], [-2.0, 0.75, -0.5, 8.0]])

np.save(os.path.join(out, "f4.npy"), ref.astype("<f4"))
np.save(os.path.join(out, "f8.npy"), ref.astype("<f8"))
np.save(os.path.join(out, "f2.npy"), ref.astype("<f2"))
np.save(os.path.join(out, "f4-big-endian.npy"), ref.astype(">f4"))
np.save(os.path.join(out, "f4-fortran.npy"), np.asfortranarray(ref.astype("<f4")))
np.save(os.path.join(out, "i4.npy"), ref.astype("<i4"))
np.save(os.path.join(out, "f4-1d.npy"), ref.astype("<f4").ravel())
with open(os.path.join(out, "f4-v2.npy"), "wb") as f:
    np.lib.format.write_array(f, ref.astype("<f4"), version=(2, 0))
with open(os.path.join(out, "f4-v3.npy"), "wb") as f:
    np.lib.format.write_array(f, ref.astype("<f4"), version=(3, 0))

# ann-benchmarks layout: train, test, neighbors (exact, k = 5), distances, attrs distance/dimension.
rng = np.random.default_rng(7)
train = rng.standard_normal((60, 6)).astype("float32")
test = rng.standard_normal((4, 6)).astype("float32")
tn = train / np.linalg.norm(train, axis=1, keepdims=True)
qn = test / np.linalg.norm(test, axis=1, keepdims=True)
cos_dist = 1.0 - qn @ tn.T
nbrs = np.argsort(cos_dist, axis=1, kind="stable")[:, :5].astype("int32")
with h5py.File(os.path.join(out, "tiny-angular.hdf5"), "w") as f:
    f.attrs["distance"] = "angular"
    f.attrs["dimension"] = 6
    f.attrs["type"] = "dense"
    f.create_dataset("train", data=train)
    f.create_dataset("test", data=test)
    f.create_dataset("neighbors", data=nbrs)
    f.create_dataset("distances", data=np.take_along_axis(cos_dist, nbrs, axis=1).astype("float32"))
print("wrote", sorted(os.listdir(out)))
