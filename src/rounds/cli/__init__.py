"""The command line. Entry points configure the process; libraries do not.

The screening tagger multiplies many tiny matrices; with BLAS worker threads that is several times slower, so
the command line (including ``rounds serve``) runs BLAS single-threaded unless the operator says otherwise.
This must happen before numpy is first imported, which is why it lives here.
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
