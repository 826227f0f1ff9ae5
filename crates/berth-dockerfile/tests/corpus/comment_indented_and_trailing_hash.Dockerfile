FROM alpine:3.20
    # indented comment
RUN echo '#not comment' \
  && echo b # still text
#trailing
