FROM a:1
SHELL ["/bin/bash", "-c"]
CMD x
ENTRYPOINT ["y"]
