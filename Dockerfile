# fernb in a container: JupyterLab + the GoNB kernel + fernb + the XLA CPU
# plugin, set up by the same ./fernb.sh that CI runs, so the image does what
# CI tests.
#
#   docker build -t fernb .                       # XLA CPU
#   docker build -t fernb --build-arg CUDA=1 .    # + XLA CUDA plugin (run with --gpus all)
#   export JUPYTER_TOKEN=$(openssl rand -hex 24)
#   docker run --rm -p 127.0.0.1:8888:8888 -e JUPYTER_TOKEN \
#       -v "$PWD/notebooks:/home/fernb/fernb/notebooks" \
#       -v /path/to/fer2013:/data/fer2013:ro -e FER_DATA=/data/fer2013 fernb
#
# JupyterLab listens on 8888 with token authentication. The token is read
# from the environment (JUPYTER_TOKEN, or the file named by JUPYTER_TOKEN_FILE),
# never from a command line, or is a random one printed at start; an empty
# token is refused (docker/entrypoint.sh). The port is published on 127.0.0.1
# only in the example above. tini runs as PID 1 so that signals (docker stop)
# reach Jupyter and its kernels.
#
# What the image downloads is pinned:
#   - the base image by digest: debian:12's multi-arch index digest of the
#     12.11 release (the digest `docker pull debian:12` printed then, as
#     recorded in public Dockerfiles and image locks; not pulled here, where no
#     container registry is reachable).
#   - apt packages: pinned by version, the bookworm / bookworm-security
#     candidates of 2026-12-05 (`apt-cache policy`, Debian 12.15 archive). Debian's
#     mirrors keep only the newest version of a package, so after a security
#     update the build fails on the old pin ("Version ... was not found")
#     rather than install something else: update the pin (or point apt at
#     Debian's dated snapshot archive) deliberately.
#   - Go toolchain, Go modules, Python wheels and the XLA plugin: by SHA-256
#     (fernb.sh, go.sum, scripts/requirements*.txt, xla.KnownPlugins).
FROM debian:12@sha256:b6507e340c43553136f5078284c8c68d86ec8262b1724dde73c325e8d3dcdeba

ARG CUDA=0

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates=20250419~deb12u2 \
      curl=7.88.1-10+deb12u15 \
      git=1:2.39.5-0+deb12u3 \
      gcc=4:12.2.0-3 \
      libc6-dev=2.36-9+deb12u14 \
      unzip=6.0-28+deb12u1 \
      python3=3.11.2-1+b1 \
      python3-venv=3.11.2-1+b1 \
      python3-pip=23.0.1+dfsg-1 \
      tini=0.19.0-1+b3 \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --shell /bin/bash fernb
USER fernb
WORKDIR /home/fernb/fernb

COPY --chown=fernb:fernb . .
RUN if [ "$CUDA" = 1 ]; then ./fernb.sh setup --cuda; else ./fernb.sh setup; fi \
 && rm -rf /home/fernb/.cache/pip

ENV FERNB_ROOT=/home/fernb/fernb
VOLUME ["/home/fernb/fernb/notebooks"]
EXPOSE 8888
ENTRYPOINT ["/usr/bin/tini", "--", "/home/fernb/fernb/docker/entrypoint.sh"]
