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
FROM debian:12

ARG CUDA=0

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates curl git gcc libc6-dev unzip python3 python3-venv python3-pip tini \
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
