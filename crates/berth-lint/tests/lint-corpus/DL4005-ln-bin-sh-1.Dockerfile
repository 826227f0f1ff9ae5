FROM a:1
RUN ln -sf /bin/bash /bin/sh
