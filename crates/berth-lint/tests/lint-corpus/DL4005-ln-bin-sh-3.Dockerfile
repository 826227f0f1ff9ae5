FROM debian:12
    RUN ln -sf /bin/bash /bin/sh
