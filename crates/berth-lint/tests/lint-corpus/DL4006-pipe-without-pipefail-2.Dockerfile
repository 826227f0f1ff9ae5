FROM a:1
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN a | b
RUN a || b
